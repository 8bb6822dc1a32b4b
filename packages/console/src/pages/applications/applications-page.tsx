/** Every application (OIDC client) that sends people to weunion to log in. */
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
import { ScenarioBadges } from '../connections/scenario-badges.tsx';
import { type Application, applicationsSchema } from './model.ts';
import '../../ui/setup-pages.css';

export function ApplicationsPage(): ReactNode {
  const t = useT();
  const load = useLoad(() => api.get('/api/v1/applications', applicationsSchema), []);
  const add = (
    <Button variant="primary" onClick={() => navigate('/applications/new')}>
      {t('applications.add')}
    </Button>
  );
  return (
    <Page title={t('applications.title')} description={t('applications.intro')} actions={add}>
      <Loaded load={load}>
        {({ applications }) =>
          applications.length === 0 ? (
            <EmptyState title={t('applications.empty')}>{add}</EmptyState>
          ) : (
            <Table<Application>
              caption={t('applications.title')}
              rows={applications}
              rowKey={(row) => row.id}
              columns={[
                {
                  key: 'name',
                  header: t('applications.col.name'),
                  cell: (row) => <Link to={`/applications/${encodeURIComponent(row.id)}`}>{row.name}</Link>,
                },
                { key: 'id', header: t('applications.col.id'), cell: (row) => <span className="mono">{row.id}</span> },
                { key: 'type', header: t('applications.col.type'), cell: (row) => t(`applications.type.${row.type}`) },
                {
                  key: 'redirects',
                  header: t('applications.col.redirects'),
                  cell: (row) => (
                    <ul className="identity-list">
                      {row.redirectUris.map((uri) => (
                        <li key={uri} className="mono">
                          {uri}
                        </li>
                      ))}
                    </ul>
                  ),
                },
                {
                  key: 'scenarios',
                  header: t('applications.col.scenarios'),
                  cell: (row) => <ScenarioBadges scenarios={row.scenarios} />,
                },
              ]}
            />
          )
        }
      </Loaded>
    </Page>
  );
}
