/** `/connections/new` and `/connections/:id`: the one form, empty or filled from the stored connection. */
import type { ReactNode } from 'react';
import { api } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link } from '../../router.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { ConnectionForm } from './connection-form.tsx';
import { connectionSchema } from './model.ts';
import '../../ui/setup-pages.css';

export function NewConnectionPage(): ReactNode {
  const t = useT();
  return (
    <Page title={t('connections.newTitle')} description={<Link to="/connections">← {t('connections.title')}</Link>}>
      <ConnectionForm existing={null} />
    </Page>
  );
}

export function ConnectionPage({ params }: RouteProps): ReactNode {
  const t = useT();
  const id = params.id ?? '';
  const load = useLoad(() => api.get(`/api/v1/connections/${encodeURIComponent(id)}`, connectionSchema), [id]);
  return (
    <Page
      title={load.data === undefined ? t('connections.title') : t('connections.editTitle', { name: load.data.name })}
      description={<Link to="/connections">← {t('connections.title')}</Link>}
    >
      <Loaded load={load}>
        {(connection) => (
          <>
            {connection.unboundUnionid === null ? null : (
              <Notice kind="warning">
                {connection.unboundUnionid.detectedOpenPlatformId === null
                  ? t('connections.unboundUnionid', { appid: connection.appid })
                  : t('connections.unboundUnionidDetected', {
                      appid: connection.appid,
                      openPlatformId: connection.unboundUnionid.detectedOpenPlatformId,
                    })}
              </Notice>
            )}
            <ConnectionForm key={`${connection.id}:${connection.updatedAt}`} existing={connection} onSaved={load.reload} />
          </>
        )}
      </Loaded>
    </Page>
  );
}
