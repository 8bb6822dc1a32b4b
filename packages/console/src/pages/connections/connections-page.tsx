/** Every WeChat app weunion signs people in through, with what each serves and where it came from. */
import type { ReactNode } from 'react';
import { api } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/button.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { type Connection, connectionsSchema } from './model.ts';
import { ScenarioBadges } from './scenario-badges.tsx';
import '../../ui/setup-pages.css';

export function ConnectionsPage(): ReactNode {
  const t = useT();
  const load = useLoad(() => api.get('/api/v1/connections', connectionsSchema), []);
  const add = (
    <Button variant="primary" onClick={() => navigate('/connections/new')}>
      {t('connections.add')}
    </Button>
  );
  return (
    <Page title={t('connections.title')} description={t('connections.intro')} actions={add}>
      <Loaded load={load}>
        {({ connections }) =>
          connections.length === 0 ? (
            <EmptyState title={t('connections.empty')}>{add}</EmptyState>
          ) : (
            <Table<Connection>
              caption={t('connections.title')}
              rows={connections}
              rowKey={(row) => row.id}
              columns={[
                {
                  key: 'name',
                  header: t('connections.col.name'),
                  cell: (row) => <Link to={`/connections/${encodeURIComponent(row.id)}`}>{row.name}</Link>,
                },
                { key: 'type', header: t('connections.col.type'), cell: (row) => t(`appType.${row.appType}`) },
                { key: 'appid', header: t('connections.col.appid'), cell: (row) => <span className="mono">{row.appid}</span> },
                {
                  key: 'scenarios',
                  header: t('connections.col.scenarios'),
                  cell: (row) => <ScenarioBadges scenarios={row.scenarios} />,
                },
                {
                  key: 'source',
                  header: t('connections.col.source'),
                  cell: (row) => (
                    <span className={row.source === 'sandbox' ? 'badge badge-sandbox' : 'badge'}>
                      {t(`connections.source.${row.source}`)}
                    </span>
                  ),
                },
                {
                  key: 'secret',
                  header: t('connections.col.secret'),
                  cell: (row) => (
                    <span className={row.secretSet ? 'badge badge-active' : 'badge badge-blocked'}>
                      {row.secretSet ? t('connections.secretSet') : t('connections.secretMissing')}
                    </span>
                  ),
                },
              ]}
            />
          )
        }
      </Loaded>
    </Page>
  );
}
