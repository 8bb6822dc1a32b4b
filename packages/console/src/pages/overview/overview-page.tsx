import type { ReactNode } from 'react';
import { useT } from '../../i18n/index.ts';
import type { RouteProps } from '../../routes.tsx';
import { Page } from '../../ui/page.tsx';

export function OverviewPage(_props: RouteProps): ReactNode {
  const t = useT();
  return <Page title={t('nav.overview')}>{t('common.loading')}</Page>;
}
