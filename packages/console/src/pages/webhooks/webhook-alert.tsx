/**
 * The console-wide alert for webhook endpoints weunion turned off after persistent failure: shown
 * above every page (except the Webhooks pages, which show their own) until an admin turns the
 * endpoint on again, so a backend silently missing identity events does not go unnoticed.
 */
import type { ReactNode } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import { Link, usePath } from '../../router.tsx';
import { Notice } from '../../ui/notice.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { endpointListSchema } from './model.ts';

export function WebhookAlert(): ReactNode {
  const { t } = useI18n();
  const path = usePath();
  const onWebhooks = path === '/webhooks' || path.startsWith('/webhooks/');
  // Looked up again on each page change; a failed look-up shows nothing (the page says what failed).
  const load = useLoad(
    async () => (onWebhooks ? [] : (await api.get('/api/v1/webhooks/endpoints', endpointListSchema)).endpoints),
    [path, onWebhooks],
  );
  const disabled = load.state === 'ready' ? load.data.filter((e) => e.disabledReason !== null) : [];
  if (disabled.length === 0) return null;
  return (
    <Notice kind="error">
      {t('webhooks.shellAlert', { count: String(disabled.length) })} <Link to="/webhooks">{t('webhooks.shellAlert.open')}</Link>
    </Notice>
  );
}
