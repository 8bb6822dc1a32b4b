/**
 * One person: profile (edit), password (set, reset, remove), phone numbers and emails, every WeChat
 * identity (unlink), block/unblock, merges involving them (undo), merging someone else in, their
 * login history and their audit history.
 */
import { type ReactNode, useState } from 'react';
import { ApiError, api, noContent } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link } from '../../router.tsx';
import {
  auditPageSchema,
  type ConnectionSummary,
  connectionListSchema,
  type LoginEvent,
  loginEventPageSchema,
  type Merge,
  mergePageSchema,
  type UserDetail,
  userDetailSchema,
  type WechatIdentity,
} from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { LoadMore, useCursorPages } from '../../ui/cursor-pages.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { AuditEntries, actorName } from '../audit/audit-entries.tsx';
import { LoginEvents } from '../logins/login-events.tsx';
import { appTypeKey, MergeDialog } from './merge-dialog.tsx';
import { personName } from './names.ts';
import { StatusBadge } from './people-table.tsx';
import { PasswordDialog, PersonFormDialog } from './person-form.tsx';

interface PersonData {
  user: UserDetail;
  connections: ConnectionSummary[];
  merges: Merge[];
  /** Names of the other people in the merges, by id. */
  names: Map<string, string>;
}

async function loadPerson(id: string): Promise<PersonData> {
  const path = `/api/v1/users/${encodeURIComponent(id)}`;
  const [user, connections, merges] = await Promise.all([
    api.get(path, userDetailSchema),
    api.get('/api/v1/connections', connectionListSchema).then(
      (list) => list.connections,
      // Without the connection names the page still works (appids are shown instead).
      () => [],
    ),
    api.get('/api/v1/merges', mergePageSchema, { userId: id, limit: 50 }),
  ]);
  const otherIds = new Set(merges.merges.flatMap((merge) => [merge.sourceUserId, merge.targetUserId]).filter((other) => other !== id));
  const others = await Promise.all(
    [...otherIds].map((other) =>
      api.get(`/api/v1/users/${encodeURIComponent(other)}`, userDetailSchema).then(
        (detail) => [other, personName(detail)] as const,
        () => [other, other] as const,
      ),
    ),
  );
  const names = new Map<string, string>([[id, personName(user)], ...others]);
  return { user, connections, merges: merges.merges, names };
}

export function PersonPage({ params }: RouteProps): ReactNode {
  const { t } = useI18n();
  const id = params.id ?? '';
  const person = useLoad(() => loadPerson(id), [id]);
  const history = useLoad(() => api.get('/api/v1/audit-log', auditPageSchema, { subjectId: id, limit: 50 }), [id]);
  const logins = useCursorPages<LoginEvent>(
    async (cursor) => {
      const page = await api.get(`/api/v1/users/${encodeURIComponent(id)}/login-events`, loginEventPageSchema, { limit: 20, cursor });
      return { items: page.events, nextCursor: page.nextCursor };
    },
    [id],
  );
  const reload = () => {
    person.reload();
    history.reload();
  };
  const notFound = person.state === 'error' && person.error instanceof ApiError && person.error.status === 404;
  return (
    <Page
      title={person.data ? personName(person.data.user) : t('nav.people')}
      actions={person.data ? <PersonActions data={person.data} onChanged={reload} /> : null}
    >
      <p>
        <Link to="/people">← {t('nav.people')}</Link>
      </p>
      {notFound ? (
        <EmptyState title={t('error.not_found')} />
      ) : (
        <Loaded load={person}>
          {(data) => (
            <>
              {data.user.mergedInto ? (
                <p className="notice">
                  {t('person.mergedInto')}{' '}
                  <Link to={`/people/${encodeURIComponent(data.user.mergedInto)}`}>
                    {data.names.get(data.user.mergedInto) ?? data.user.mergedInto}
                  </Link>
                </p>
              ) : null}
              <div className="grid-2">
                <Profile user={data.user} />
                <Identifiers user={data.user} />
              </div>
              <Identities data={data} onChanged={reload} />
              <Merges data={data} onChanged={reload} />
            </>
          )}
        </Loaded>
      )}
      <section className="card" aria-labelledby="person-logins">
        <h2 id="person-logins">{t('person.logins')}</h2>
        <Loaded load={logins.first}>
          {(page) => {
            const { items, cursor, loadMore } = logins.pagesAfter(page);
            return (
              <>
                <LoginEvents events={items} caption={t('person.logins')} connections={person.data?.connections ?? []} showPerson={false} />
                <LoadMore cursor={cursor} busy={logins.loadingMore} onClick={loadMore} />
              </>
            );
          }}
        </Loaded>
      </section>
      <section className="card" aria-labelledby="person-history">
        <h2 id="person-history">{t('person.audit')}</h2>
        <Loaded load={history}>{(page) => <AuditEntries entries={page.entries} caption={t('person.audit')} showSubject={false} />}</Loaded>
      </section>
    </Page>
  );
}

function PersonActions({ data, onChanged }: { data: PersonData; onChanged: () => void }): ReactNode {
  const { t } = useI18n();
  const confirm = useConfirm();
  const notify = useNotify();
  const [merging, setMerging] = useState(false);
  const [editing, setEditing] = useState<'profile' | 'password' | null>(null);
  const { user } = data;
  const name = personName(user);
  const path = `/api/v1/users/${encodeURIComponent(user.id)}`;
  const block = async (blocked: boolean) => {
    const done = await confirm({
      title: t(blocked ? 'person.blockTitle' : 'person.unblockTitle'),
      body: <p>{t(blocked ? 'person.blockBody' : 'person.unblockBody', { person: name })}</p>,
      confirmLabel: t(blocked ? 'person.block' : 'person.unblock'),
      destructive: blocked,
      action: async () => {
        await api.post(`${path}/${blocked ? 'block' : 'unblock'}`, noContent);
      },
    });
    if (done) {
      notify(t(blocked ? 'person.blocked' : 'person.unblocked'));
      onChanged();
    }
  };
  if (user.status === 'merged' || user.status === 'deleted') return null;
  return (
    <>
      <Button onClick={() => setEditing('profile')}>{t('person.edit')}</Button>
      <Button onClick={() => setEditing('password')}>{t(user.hasPassword ? 'person.password.reset' : 'person.password.set')}</Button>
      <Button variant="primary" onClick={() => setMerging(true)}>
        {t('merge.open')}
      </Button>
      {editing === 'profile' ? (
        <PersonFormDialog
          user={user}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            notify(t('person.edit.saved'));
            onChanged();
          }}
        />
      ) : null}
      {editing === 'password' ? (
        <PasswordDialog
          user={user}
          onClose={() => setEditing(null)}
          onSaved={(message) => {
            setEditing(null);
            notify(message);
            onChanged();
          }}
        />
      ) : null}
      {user.status === 'blocked' ? (
        <Button onClick={() => block(false)}>{t('person.unblock')}</Button>
      ) : (
        <Button variant="danger" onClick={() => block(true)}>
          {t('person.block')}
        </Button>
      )}
      {merging ? (
        <MergeDialog
          target={user}
          connections={data.connections}
          onClose={() => setMerging(false)}
          onMerged={(message) => {
            setMerging(false);
            notify(message);
            onChanged();
          }}
        />
      ) : null}
    </>
  );
}

function Profile({ user }: { user: UserDetail }): ReactNode {
  const { t, formatDateTime } = useI18n();
  const none = t('common.none');
  return (
    <section className="card" aria-labelledby="person-profile">
      <h2 id="person-profile">{t('person.profile')}</h2>
      <dl className="details">
        <dt>{t('person.field.id')}</dt>
        <dd className="mono">{user.id}</dd>
        <dt>{t('person.field.status')}</dt>
        <dd>
          <StatusBadge status={user.status} />
        </dd>
        <dt>{t('person.field.name')}</dt>
        <dd>{user.name ?? none}</dd>
        <dt>{t('person.field.nickname')}</dt>
        <dd>{user.nickname ?? none}</dd>
        <dt>{t('person.field.phoneNumber')}</dt>
        <dd>
          {user.phoneNumber ?? none} {user.phoneNumberVerified ? <span className="badge">{t('person.verified')}</span> : null}
        </dd>
        <dt>{t('person.field.email')}</dt>
        <dd>
          {user.email ?? none} {user.emailVerified ? <span className="badge">{t('person.verified')}</span> : null}
        </dd>
        <dt>{t('person.field.gender')}</dt>
        <dd>{user.gender ?? none}</dd>
        <dt>{t('person.field.locale')}</dt>
        <dd>{user.locale ?? none}</dd>
        <dt>{t('person.field.hasPassword')}</dt>
        <dd>{user.hasPassword ? t('common.yes') : t('common.no')}</dd>
        <dt>{t('person.field.createdAt')}</dt>
        <dd>{formatDateTime(user.createdAt)}</dd>
        <dt>{t('person.field.lastLoginAt')}</dt>
        <dd>{user.lastLoginAt === null ? t('people.never') : formatDateTime(user.lastLoginAt)}</dd>
      </dl>
    </section>
  );
}

function Identifiers({ user }: { user: UserDetail }): ReactNode {
  const { t, formatDateTime } = useI18n();
  return (
    <section className="card" aria-labelledby="person-identifiers">
      <h2 id="person-identifiers">{t('person.identifiers')}</h2>
      {user.identifiers.length === 0 ? (
        <p className="muted">{t('person.noIdentifiers')}</p>
      ) : (
        <dl className="details">
          {user.identifiers.map((identifier) => (
            <div key={`${identifier.kind}:${identifier.value}`} className="contents">
              <dt>{t(identifier.kind === 'phone' ? 'person.identifier.phone' : 'person.identifier.email')}</dt>
              <dd>
                {identifier.value}{' '}
                <span className="muted small">
                  ({t('person.verified')} {formatDateTime(identifier.verifiedAt)})
                </span>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function Identities({ data, onChanged }: { data: PersonData; onChanged: () => void }): ReactNode {
  const { t, formatDateTime } = useI18n();
  const confirm = useConfirm();
  const notify = useNotify();
  const { user, connections } = data;
  const appName = (identity: WechatIdentity) =>
    connections.find((connection) => connection.appid === identity.appid)?.name ?? identity.appid;
  const unlink = async (identity: WechatIdentity) => {
    const done = await confirm({
      title: t('person.unlinkTitle'),
      body: <p>{t('person.unlinkBody', { person: personName(user), app: appName(identity), openid: identity.openid })}</p>,
      confirmLabel: t('person.unlink'),
      action: async () => {
        await api.delete(`/api/v1/users/${encodeURIComponent(user.id)}/identities/${encodeURIComponent(identity.id)}`, noContent);
      },
    });
    if (done) {
      notify(t('person.unlinked'));
      onChanged();
    }
  };
  const editable = user.status !== 'merged' && user.status !== 'deleted';
  return (
    <section className="card" aria-labelledby="person-identities">
      <h2 id="person-identities">{t('person.identities')}</h2>
      {user.identities.length === 0 ? (
        <p className="muted">{t('person.noIdentities')}</p>
      ) : (
        <Table
          caption={t('person.identities')}
          rows={user.identities}
          rowKey={(identity) => identity.id}
          columns={[
            { key: 'connection', header: t('person.col.connection'), cell: appName },
            { key: 'type', header: t('person.col.appType'), cell: (identity) => t(appTypeKey(identity.appType)) },
            { key: 'appid', header: t('person.col.appid'), cell: (identity) => <span className="mono">{identity.appid}</span> },
            { key: 'openid', header: t('person.col.openid'), cell: (identity) => <span className="mono">{identity.openid}</span> },
            {
              key: 'unionid',
              header: t('person.col.unionid'),
              cell: (identity) => (identity.unionid ? <span className="mono">{identity.unionid}</span> : t('common.none')),
            },
            { key: 'first', header: t('person.col.firstSeen'), cell: (identity) => formatDateTime(identity.firstSeenAt) },
            { key: 'last', header: t('person.col.lastSeen'), cell: (identity) => formatDateTime(identity.lastSeenAt) },
            {
              key: 'actions',
              header: <span className="visually-hidden">{t('person.col.actions')}</span>,
              cell: (identity) =>
                editable ? (
                  <Button
                    variant="ghost"
                    className="button-small"
                    onClick={() => unlink(identity)}
                    aria-label={t('person.unlinkLabel', { openid: identity.openid })}
                  >
                    {t('person.unlink')}
                  </Button>
                ) : null,
            },
          ]}
        />
      )}
    </section>
  );
}

function Merges({ data, onChanged }: { data: PersonData; onChanged: () => void }): ReactNode {
  const { t, formatDateTime } = useI18n();
  const confirm = useConfirm();
  const notify = useNotify();
  const name = (id: string) => data.names.get(id) ?? id;
  const undo = async (merge: Merge) => {
    const source = name(merge.sourceUserId);
    const target = name(merge.targetUserId);
    const done = await confirm({
      title: t('person.undoTitle'),
      body: <p>{t('person.undoBody', { source, target })}</p>,
      confirmLabel: t('person.undoMerge'),
      action: async () => {
        await api.post(`/api/v1/merges/${encodeURIComponent(merge.id)}/undo`, noContent);
      },
    });
    if (done) {
      notify(t('person.undoneNotice'));
      onChanged();
    }
  };
  return (
    <section className="card" aria-labelledby="person-merges">
      <h2 id="person-merges">{t('person.merges')}</h2>
      {data.merges.length === 0 ? (
        <p className="muted">{t('person.noMerges')}</p>
      ) : (
        <Table
          caption={t('person.merges')}
          rows={data.merges}
          rowKey={(merge) => merge.id}
          columns={[
            { key: 'when', header: t('person.col.when'), cell: (merge) => formatDateTime(merge.createdAt) },
            {
              key: 'what',
              header: t('person.col.what'),
              cell: (merge) => (
                <>
                  <Link to={`/people/${encodeURIComponent(merge.sourceUserId)}`}>{name(merge.sourceUserId)}</Link> →{' '}
                  <Link to={`/people/${encodeURIComponent(merge.targetUserId)}`}>{name(merge.targetUserId)}</Link>
                  <span className="visually-hidden">
                    {t('person.mergeInto', { source: name(merge.sourceUserId), target: name(merge.targetUserId) })}
                  </span>
                </>
              ),
            },
            { key: 'by', header: t('person.col.by'), cell: (merge) => actorName(t, merge.actor) },
            {
              key: 'undo',
              header: <span className="visually-hidden">{t('person.col.actions')}</span>,
              cell: (merge) =>
                merge.undoneAt !== null ? (
                  <span className="muted">{t('person.undone', { when: formatDateTime(merge.undoneAt) })}</span>
                ) : (
                  <Button onClick={() => undo(merge)}>{t('person.undoMerge')}</Button>
                ),
            },
          ]}
        />
      )}
    </section>
  );
}
