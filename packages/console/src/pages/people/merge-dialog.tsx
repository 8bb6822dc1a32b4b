/**
 * "Merge another person into this one": find the person (the same search box as People), see
 * side by side what the merge would do (`GET /users/:id/merge-preview`, a rehearsal on the server),
 * confirm the sentence that names it, done.
 */
import { WECHAT_APP_TYPES, type WechatAppType } from '@weunion/management-api';
import { type FormEvent, type ReactNode, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import {
  type ConnectionSummary,
  type MergePreview,
  mergePreviewSchema,
  mergeResultSchema,
  type User,
  type UserDetail,
  userPageSchema,
} from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { CheckboxField, Field } from '../../ui/field.tsx';
import { IconSearch } from '../../ui/icons.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice } from '../../ui/notice.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { showValue } from '../audit/diff.ts';
import { movesSummary, personName } from './names.ts';
import { StatusBadge } from './people-table.tsx';

interface MergeDialogProps {
  target: UserDetail;
  /** Known up front when coming from a merge suggestion; otherwise picked by search. */
  sourceUserId?: string;
  connections: ConnectionSummary[];
  onClose: () => void;
  onMerged: (message: string) => void;
}

export function MergeDialog({ target, sourceUserId, connections, onClose, onMerged }: MergeDialogProps): ReactNode {
  const { t } = useI18n();
  const [sourceId, setSourceId] = useState<string | null>(sourceUserId ?? null);
  return (
    <Dialog title={t('merge.title', { target: personName(target) })} onClose={onClose} wide>
      {sourceId === null ? (
        <PickPerson targetId={target.id} onPick={setSourceId} />
      ) : (
        <Preview
          targetId={target.id}
          sourceId={sourceId}
          connections={connections}
          onBack={sourceUserId === undefined ? () => setSourceId(null) : undefined}
          onMerged={onMerged}
        />
      )}
    </Dialog>
  );
}

function PickPerson({ targetId, onPick }: { targetId: string; onPick: (id: string) => void }): ReactNode {
  const { t } = useI18n();
  const errorMessage = useErrorMessage();
  const [input, setInput] = useState('');
  const [results, setResults] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const search = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const page = await api.get('/api/v1/users', userPageSchema, { q: input.trim(), limit: 20 });
      setResults(page.users);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form className="search-bar" onSubmit={search}>
        <Field
          label={t('merge.searchLabel')}
          hint={t('people.searchHint')}
          type="search"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          data-autofocus
        />
        <Button type="submit" variant="primary" icon={<IconSearch />} busy={busy}>
          {t('people.search')}
        </Button>
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {results === null ? null : results.length === 0 ? (
        <EmptyState title={t('people.noResults', { q: input })} />
      ) : (
        <ul className="pick-list" aria-label={t('people.results')}>
          {results.map((user) => (
            <li key={user.id}>
              <div>
                <strong>{personName(user)}</strong> <StatusBadge status={user.status} />
                <div className="muted small">
                  <span className="mono">{user.id}</span>
                  {user.phoneNumber ? ` · ${user.phoneNumber}` : ''}
                  {user.email ? ` · ${user.email}` : ''}
                </div>
              </div>
              {user.id === targetId ? (
                <span className="muted small">{t('merge.self')}</span>
              ) : (
                <Button onClick={() => onPick(user.id)} aria-label={t('merge.chooseLabel', { person: personName(user) })}>
                  {t('merge.choose')}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function connectionLabel(connections: ConnectionSummary[], appid: string): string {
  return connections.find((connection) => connection.appid === appid)?.name ?? appid;
}

/** The sentence both the preview and the confirmation use. */
export function mergeSentence(t: ReturnType<typeof useI18n>['t'], language: string, preview: MergePreview): string {
  const source = personName(preview.source);
  const target = personName(preview.target);
  const identities = preview.result.identitiesMoving.length;
  const phones = preview.result.identifiersMoving.filter((identifier) => identifier.kind === 'phone').length;
  const emails = preview.result.identifiersMoving.filter((identifier) => identifier.kind === 'email').length;
  const moves = movesSummary(t, language, { identities, phones, emails });
  // English agreement: "1 WeChat identity moves", "2 WeChat identities move", "1 … and 1 … move".
  const single = identities + phones + emails === 1 ? 1 : 0;
  return moves === null ? t('merge.summaryNothing', { source, target }) : t('merge.summary', { source, target, moves, single });
}

function Side({ title, user }: { title: string; user: UserDetail }): ReactNode {
  const { t, formatDateTime } = useI18n();
  return (
    <section className="merge-side">
      <h3>{title}</h3>
      <p>
        <strong>{personName(user)}</strong> <StatusBadge status={user.status} />
      </p>
      <dl className="details">
        <dt>{t('person.field.id')}</dt>
        <dd className="mono">{user.id}</dd>
        <dt>{t('person.field.phoneNumber')}</dt>
        <dd>{user.phoneNumber ?? t('common.none')}</dd>
        <dt>{t('person.field.email')}</dt>
        <dd>{user.email ?? t('common.none')}</dd>
        <dt>{t('person.identities')}</dt>
        <dd>{user.identities.length}</dd>
        <dt>{t('person.field.lastLoginAt')}</dt>
        <dd>{user.lastLoginAt === null ? t('people.never') : formatDateTime(user.lastLoginAt)}</dd>
      </dl>
    </section>
  );
}

function Preview({
  targetId,
  sourceId,
  connections,
  onBack,
  onMerged,
}: {
  targetId: string;
  sourceId: string;
  connections: ConnectionSummary[];
  onBack: (() => void) | undefined;
  onMerged: (message: string) => void;
}): ReactNode {
  const { t, language } = useI18n();
  const confirm = useConfirm();
  const [conflictsAccepted, setConflictsAccepted] = useState(false);
  const preview = useLoad(
    () => api.get(`/api/v1/users/${encodeURIComponent(targetId)}/merge-preview`, mergePreviewSchema, { sourceUserId: sourceId }),
    [targetId, sourceId],
  );
  return (
    <Loaded load={preview}>
      {(data) => {
        const sentence = mergeSentence(t, language, data);
        // Fields both sides agree on change nothing; the table shows the ones that need a decision.
        const changedProfile = data.result.profile.filter((row) => JSON.stringify(row.target) !== JSON.stringify(row.source));
        const merge = async () => {
          const merged = await confirm({
            title: t('merge.confirmTitle'),
            body: (
              <>
                <p>{sentence}</p>
                <p>{t('merge.undoable')}</p>
              </>
            ),
            confirmLabel: t('merge.confirm'),
            action: async () => {
              await api.post(`/api/v1/users/${encodeURIComponent(targetId)}/merge`, mergeResultSchema, {
                sourceUserId: sourceId,
                ...(data.conflicts.length > 0 ? { allowConflicts: true } : {}),
              });
            },
          });
          if (merged) onMerged(t('merge.done', { source: personName(data.source), target: personName(data.target) }));
        };
        return (
          <>
            <div className="merge-sides">
              <Side title={t('merge.keeps')} user={data.target} />
              <Side title={t('merge.goes')} user={data.source} />
            </div>
            {data.allowed ? null : (
              <Notice kind="error">
                {t('merge.refused')} {data.refusal?.detail ?? data.refusal?.code}
              </Notice>
            )}
            <section>
              <h3>{t('merge.moves')}</h3>
              {data.result.identitiesMoving.length === 0 && data.result.identifiersMoving.length === 0 ? (
                <p className="muted">{t('merge.nothingMoves')}</p>
              ) : (
                <ul className="moves" aria-label={t('merge.moves')}>
                  {data.result.identitiesMoving.map((identity) => (
                    <li key={identity.id}>
                      {t('merge.identity')}: {connectionLabel(connections, identity.appid)} ({t(appTypeKey(identity.appType))}) ·{' '}
                      <span className="mono">{identity.openid}</span>
                      {identity.unionid ? (
                        <>
                          {' '}
                          · unionid <span className="mono">{identity.unionid}</span>
                        </>
                      ) : null}
                    </li>
                  ))}
                  {data.result.identifiersMoving.map((identifier) => (
                    <li key={`${identifier.kind}:${identifier.value}`}>
                      {t(identifier.kind === 'phone' ? 'person.identifier.phone' : 'person.identifier.email')}: {identifier.value}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            {changedProfile.length > 0 ? (
              <section>
                <h3>{t('merge.profile')}</h3>
                <table className="table merge-profile">
                  <thead>
                    <tr>
                      <th scope="col">{t('merge.col.field')}</th>
                      <th scope="col">{personName(data.target)}</th>
                      <th scope="col">{personName(data.source)}</th>
                      <th scope="col">{t('merge.col.result')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {changedProfile.map((row) => (
                      <tr key={row.field}>
                        <th scope="row">{row.field}</th>
                        <ProfileCell label={personName(data.target)} value={row.target} />
                        <ProfileCell label={personName(data.source)} value={row.source} />
                        <ProfileCell label={t('merge.col.result')} value={row.result} strong />
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            ) : null}
            {data.allowed && data.conflicts.length > 0 ? (
              <Notice kind="warning">
                <p>{t('merge.conflicts')}</p>
                <ul>
                  {data.conflicts.map((conflict) => (
                    <li key={conflict.kind === 'appid' ? conflict.appid : conflict.openPlatformId}>
                      {conflict.kind === 'appid'
                        ? t('merge.conflict.appid', {
                            app: connectionLabel(connections, conflict.appid),
                            target: conflict.targetOpenid,
                            source: conflict.sourceOpenid,
                          })
                        : t('merge.conflict.openPlatform', {
                            openPlatformId: conflict.openPlatformId,
                            target: conflict.targetUnionid,
                            source: conflict.sourceUnionid,
                          })}
                    </li>
                  ))}
                </ul>
                <CheckboxField
                  label={t('merge.conflictsConfirm')}
                  hint={t('merge.conflictsConfirmHint')}
                  checked={conflictsAccepted}
                  onChange={setConflictsAccepted}
                />
              </Notice>
            ) : null}
            <p className="merge-sentence">{sentence}</p>
            <div className="dialog-actions">
              {onBack ? <Button onClick={onBack}>{t('merge.pickAnother')}</Button> : null}
              <Button variant="danger" onClick={merge} disabled={!data.allowed || (data.conflicts.length > 0 && !conflictsAccepted)}>
                {t('merge.confirm')}
              </Button>
            </div>
          </>
        );
      }}
    </Loaded>
  );
}

/**
 * One value of the profile table. Values can be long (avatar URLs): they wrap anywhere and stop
 * after a few lines, the whole value in the tooltip. `data-label` names the column where narrow
 * screens stack the cells.
 */
function ProfileCell({ label, value, strong = false }: { label: string; value: unknown; strong?: boolean }): ReactNode {
  const t = useI18n().t;
  const text = showValue(value) || t('common.none');
  return (
    <td data-label={label} title={text}>
      <span className="cell-clamp">{strong ? <strong>{text}</strong> : text}</span>
    </td>
  );
}

export function appTypeKey(appType: string): `appType.${WechatAppType}` | 'person.unknownConnection' {
  const known = WECHAT_APP_TYPES.find((candidate) => candidate === appType);
  return known ? `appType.${known}` : 'person.unknownConnection';
}
