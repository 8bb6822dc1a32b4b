/** Audit entries as a table: who did what to whom, with the before/after difference behind a disclosure. */
import type { ReactNode } from 'react';
import { type Translate, useI18n } from '../../i18n/index.ts';
import { Link } from '../../router.tsx';
import type { Actor, AuditEntry } from '../../schemas.ts';
import { EmptyState } from '../../ui/empty-state.tsx';
import { diffRows, showValue } from './diff.ts';
import { describeAction } from './words.ts';

export function actorName(t: Translate, actor: Actor): string {
  const name = actor.name ?? actor.id ?? '?';
  switch (actor.kind) {
    case 'admin':
      return t('audit.actor.admin', { name });
    case 'admin_key':
      return t('audit.actor.admin_key', { name });
    case 'system':
      return t('audit.actor.system');
    case 'user':
      return t('audit.actor.user');
    default:
      return actor.name ?? actor.kind;
  }
}

function Changes({ entry }: { entry: AuditEntry }): ReactNode {
  const { t } = useI18n();
  const rows = diffRows(entry.before, entry.after);
  if (rows.length === 0) return <span className="muted">{t('audit.noChanges')}</span>;
  return (
    <details className="changes">
      <summary>
        {t('audit.showChanges')} ({rows.length})
      </summary>
      <table className="table diff">
        <thead>
          <tr>
            <th scope="col">{t('audit.col.field')}</th>
            <th scope="col">{t('audit.col.before')}</th>
            <th scope="col">{t('audit.col.after')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.field}>
              <th scope="row" className="mono">
                {row.field}
              </th>
              <td className="mono diff-before">{showValue(row.before)}</td>
              <td className="mono diff-after">{showValue(row.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function SubjectLink({ id }: { id: string | null }): ReactNode {
  if (id === null) return null;
  if (id.startsWith('usr_')) return <Link to={`/people/${encodeURIComponent(id)}`}>{id}</Link>;
  return <span className="mono">{id}</span>;
}

export function AuditEntries({
  entries,
  caption,
  showSubject = true,
}: {
  entries: AuditEntry[];
  caption: string;
  showSubject?: boolean;
}): ReactNode {
  const { t, formatDateTime } = useI18n();
  if (entries.length === 0) return <EmptyState title={t('audit.empty')} />;
  return (
    <div className="table-scroll">
      <table className="table audit-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('audit.col.when')}</th>
            <th scope="col">{t('audit.col.actor')}</th>
            <th scope="col">{t('audit.col.action')}</th>
            {showSubject ? <th scope="col">{t('audit.col.subject')}</th> : null}
            <th scope="col">{t('audit.col.changes')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td className="nowrap">{formatDateTime(entry.at)}</td>
              <td>{actorName(t, entry.actor)}</td>
              <td>
                {describeAction(t, entry.action)}
                <div className="muted small mono">{entry.action}</div>
              </td>
              {showSubject ? (
                <td>
                  <SubjectLink id={entry.subjectId} />
                </td>
              ) : null}
              <td>
                <Changes entry={entry} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
