/**
 * Open merge suggestions (`GET /merge-suggestions?status=open`): both people side by side, then
 * either the same preview-and-confirm merge as on a person's page, or dismiss (confirmed).
 */
import { type ReactNode, useState } from 'react';
import { api, noContent } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link } from '../../router.tsx';
import {
  type ConnectionSummary,
  connectionListSchema,
  type MergeSuggestion,
  mergeSuggestionPageSchema,
  type UserDetail,
  userDetailSchema,
} from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { MergeDialog } from '../people/merge-dialog.tsx';
import { personName } from '../people/names.ts';
import { StatusBadge } from '../people/people-table.tsx';

interface Pair {
  suggestion: MergeSuggestion;
  user: UserDetail;
  other: UserDetail;
}

async function loadSuggestions(): Promise<{ pairs: Pair[]; connections: ConnectionSummary[] }> {
  const [page, connections] = await Promise.all([
    api.get('/api/v1/merge-suggestions', mergeSuggestionPageSchema, { status: 'open', limit: 50 }),
    api.get('/api/v1/connections', connectionListSchema).then(
      (list) => list.connections,
      () => [],
    ),
  ]);
  const user = (id: string) => api.get(`/api/v1/users/${encodeURIComponent(id)}`, userDetailSchema);
  const pairs = await Promise.all(
    page.suggestions.map(async (suggestion) => ({
      suggestion,
      user: await user(suggestion.userId),
      other: await user(suggestion.otherUserId),
    })),
  );
  return { pairs, connections };
}

export function MergeSuggestionsPage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const suggestions = useLoad(loadSuggestions, []);
  return (
    <Page title={t('nav.merges')} description={t('merges.description')}>
      <Loaded load={suggestions}>
        {({ pairs, connections }) =>
          pairs.length === 0 ? (
            <EmptyState title={t('merges.empty')} />
          ) : (
            pairs.map((pair) => (
              <Suggestion key={pair.suggestion.id} pair={pair} connections={connections} onChanged={suggestions.reload} />
            ))
          )
        }
      </Loaded>
    </Page>
  );
}

function PersonCard({ title, user }: { title: string; user: UserDetail }): ReactNode {
  const { t, formatDateTime } = useI18n();
  return (
    <section className="merge-side">
      <h3>{title}</h3>
      <p>
        <Link to={`/people/${encodeURIComponent(user.id)}`}>{personName(user)}</Link> <StatusBadge status={user.status} />
      </p>
      <dl className="details">
        <dt>{t('person.field.id')}</dt>
        <dd className="mono">{user.id}</dd>
        <dt>{t('person.field.phoneNumber')}</dt>
        <dd>{user.phoneNumber ?? t('common.none')}</dd>
        <dt>{t('person.identities')}</dt>
        <dd>
          {user.identities.map((identity) => (
            <div key={identity.id} className="mono small">
              {identity.openid}
            </div>
          ))}
        </dd>
        <dt>{t('person.field.lastLoginAt')}</dt>
        <dd>{user.lastLoginAt === null ? t('people.never') : formatDateTime(user.lastLoginAt)}</dd>
      </dl>
    </section>
  );
}

function Suggestion({ pair, connections, onChanged }: { pair: Pair; connections: ConnectionSummary[]; onChanged: () => void }): ReactNode {
  const { t, formatDateTime } = useI18n();
  const confirm = useConfirm();
  const notify = useNotify();
  const [merging, setMerging] = useState(false);
  const { suggestion, user, other } = pair;
  const app = connections.find((connection) => connection.appid === suggestion.appid)?.name ?? suggestion.appid ?? '?';
  // The unionid's owner is the established account: the newer login merges into it.
  const target = other;
  const source = user;
  const dismiss = async () => {
    const done = await confirm({
      title: t('merges.dismissTitle'),
      body: <p>{t('merges.dismissBody', { a: personName(user), b: personName(other) })}</p>,
      confirmLabel: t('merges.dismiss'),
      action: async () => {
        await api.post(`/api/v1/merge-suggestions/${encodeURIComponent(suggestion.id)}/dismiss`, noContent);
      },
    });
    if (done) {
      notify(t('merges.dismissed'));
      onChanged();
    }
  };
  return (
    <article className="card suggestion" aria-label={`${personName(source)} · ${personName(target)}`}>
      <p>
        {suggestion.reason === 'unionid_conflict'
          ? t('merges.reason.unionid_conflict', { unionid: suggestion.unionid ?? '?', app })
          : suggestion.reason === 'import_unionid_conflict'
            ? t('merges.reason.import_unionid_conflict', { unionid: suggestion.unionid ?? '?' })
            : suggestion.reason === 'import_openid_conflict'
              ? t('merges.reason.import_openid_conflict', { app })
              : suggestion.reason === 'import_phone_conflict'
                ? t('merges.reason.import_phone_conflict')
                : t('merges.reason.other', { reason: suggestion.reason })}{' '}
        <span className="muted small">{t('merges.found', { when: formatDateTime(suggestion.createdAt) })}</span>
      </p>
      <div className="merge-sides">
        <PersonCard title={t('merges.first')} user={user} />
        <PersonCard title={t('merges.second')} user={other} />
      </div>
      <div className="dialog-actions">
        <Button variant="ghost" onClick={dismiss}>
          {t('merges.dismiss')}
        </Button>
        <Button
          variant="primary"
          onClick={() => setMerging(true)}
          aria-label={t('merges.previewLabel', { source: personName(source), target: personName(target) })}
        >
          {t('merges.preview')}
        </Button>
      </div>
      {merging ? (
        <MergeDialog
          target={target}
          sourceUserId={source.id}
          connections={connections}
          onClose={() => setMerging(false)}
          onMerged={(message) => {
            setMerging(false);
            notify(message);
            onChanged();
          }}
        />
      ) : null}
    </article>
  );
}
