/**
 * `/webhooks`: where identity events go. Each endpoint with the events it receives, whether it is
 * on, and its deliveries waiting or given up; an endpoint weunion disabled after persistent
 * failure is an alert at the top until someone enables it again. The delivery log, replay, test
 * ping and secret rotation are on the endpoint's own page.
 */
import { type ReactNode, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link } from '../../router.tsx';
import { Button } from '../../ui/button.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { EndpointDialog } from './endpoint-form.tsx';
import { type Endpoint, endpointListSchema } from './model.ts';

export function WebhooksPage(_props: RouteProps): ReactNode {
  const { t, formatDateTime, formatNumber } = useI18n();
  const notify = useNotify();
  const [creating, setCreating] = useState(false);
  const load = useLoad(async () => (await api.get('/api/v1/webhooks/endpoints', endpointListSchema)).endpoints, []);
  const create = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      {t('webhooks.create')}
    </Button>
  );
  return (
    <Page title={t('webhooks.title')} description={t('webhooks.intro')} actions={create}>
      <Loaded load={load}>
        {(endpoints) => (
          <>
            {endpoints
              .filter((e) => e.disabledReason !== null)
              .map((e) => (
                <Notice key={e.id} kind="error">
                  <strong>{t('webhooks.alert.title', { url: e.url })}</strong> {e.disabledReason}{' '}
                  <Link to={`/webhooks/${encodeURIComponent(e.id)}`}>{t('webhooks.alert.open')}</Link>
                </Notice>
              ))}
            {endpoints.length === 0 ? (
              <EmptyState title={t('webhooks.empty')}>{create}</EmptyState>
            ) : (
              <Table<Endpoint>
                caption={t('webhooks.title')}
                rows={endpoints}
                rowKey={(e) => e.id}
                columns={[
                  {
                    key: 'url',
                    header: t('webhooks.col.url'),
                    cell: (e) => (
                      <>
                        <Link to={`/webhooks/${encodeURIComponent(e.id)}`} className="mono">
                          {e.url}
                        </Link>
                        {e.description === '' ? null : <div className="muted small">{e.description}</div>}
                      </>
                    ),
                  },
                  { key: 'events', header: t('webhooks.col.events'), cell: (e) => <span className="small">{e.events.join(', ')}</span> },
                  {
                    key: 'status',
                    header: t('webhooks.col.status'),
                    cell: (e) =>
                      e.enabled ? (
                        <span className="badge badge-active">{t('webhooks.status.enabled')}</span>
                      ) : (
                        <span className="badge badge-blocked">{t('webhooks.status.disabled')}</span>
                      ),
                  },
                  {
                    key: 'deliveries',
                    header: t('webhooks.col.deliveries'),
                    cell: (e) =>
                      t('webhooks.counts', {
                        delivered: formatNumber(e.deliveries.delivered),
                        pending: formatNumber(e.deliveries.pending),
                        failed: formatNumber(e.deliveries.failed),
                      }),
                  },
                  {
                    key: 'failing',
                    header: t('webhooks.col.failing'),
                    cell: (e) =>
                      e.failingSince === null ? (
                        <span className="muted">—</span>
                      ) : (
                        t('webhooks.failingSince', { date: formatDateTime(e.failingSince) })
                      ),
                  },
                ]}
              />
            )}
          </>
        )}
      </Loaded>
      {creating ? (
        <EndpointDialog
          onSaved={(endpoint) => {
            notify(t('webhooks.created', { url: endpoint.url }));
            load.reload();
          }}
          onClose={() => setCreating(false)}
        />
      ) : null}
    </Page>
  );
}
