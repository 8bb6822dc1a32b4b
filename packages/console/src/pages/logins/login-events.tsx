/** Login events as a table: when, outcome (the failure in words), person, scenario, WeChat app, application, IP and browser. */
import type { ReactNode } from 'react';
import { useI18n } from '../../i18n/index.ts';
import { Link } from '../../router.tsx';
import type { ConnectionSummary, LoginEvent } from '../../schemas.ts';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Table } from '../../ui/table.tsx';
import { describeReason, describeScenario } from '../audit/words.ts';

export function LoginEvents({
  events,
  caption,
  connections,
  showPerson = true,
}: {
  events: LoginEvent[];
  caption: string;
  connections: ConnectionSummary[];
  showPerson?: boolean;
}): ReactNode {
  const { t, formatDateTime } = useI18n();
  if (events.length === 0) return <EmptyState title={t('logins.empty')} />;
  const appName = (appid: string) => connections.find((connection) => connection.appid === appid)?.name ?? appid;
  return (
    <Table
      caption={caption}
      rows={events}
      rowKey={(event) => event.id}
      columns={[
        { key: 'when', header: t('logins.col.when'), cell: (event) => <span className="nowrap">{formatDateTime(event.at)}</span> },
        {
          key: 'outcome',
          header: t('logins.col.outcome'),
          cell: (event) =>
            event.outcome === 'succeeded' ? (
              <span className="badge badge-active">{t('logins.succeeded')}</span>
            ) : (
              <>
                <span className="badge badge-blocked">{t('logins.failed')}</span>
                {event.reason ? <div className="small">{describeReason(t, event.reason)}</div> : null}
              </>
            ),
        },
        ...(showPerson
          ? [
              {
                key: 'person',
                header: t('logins.col.person'),
                cell: (event: LoginEvent) =>
                  event.userId ? (
                    <Link to={`/people/${encodeURIComponent(event.userId)}`} className="mono small">
                      {event.userId}
                    </Link>
                  ) : (
                    <span className="muted">{t('logins.unknownPerson')}</span>
                  ),
              },
            ]
          : []),
        {
          key: 'scenario',
          header: t('logins.col.scenario'),
          cell: (event) => (event.scenario ? describeScenario(t, event.scenario) : t('common.none')),
        },
        { key: 'app', header: t('logins.col.app'), cell: (event) => (event.appid ? appName(event.appid) : t('common.none')) },
        {
          key: 'application',
          header: t('logins.col.application'),
          cell: (event) =>
            event.clientId ? <Link to={`/applications/${encodeURIComponent(event.clientId)}`}>{event.clientId}</Link> : t('common.none'),
        },
        { key: 'ip', header: t('logins.col.ip'), cell: (event) => <span className="mono small">{event.ip ?? t('common.none')}</span> },
        {
          key: 'agent',
          header: t('logins.col.agent'),
          cell: (event) => <span className="small user-agent">{event.userAgent ?? t('common.none')}</span>,
        },
      ]}
    />
  );
}
