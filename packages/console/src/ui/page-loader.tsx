/**
 * Pages arrive in their own chunks (routes.tsx): while one downloads the shell says so, and when
 * the download fails — the network dropped, or weunion was upgraded and the old chunk is gone — the
 * page says so and offers a reload instead of the whole console going blank.
 */
import { Component, type ReactNode, Suspense } from 'react';
import { useT } from '../i18n/index.ts';
import { Button } from './button.tsx';
import { Notice } from './notice.tsx';

export function PageLoader({ children }: { children: ReactNode }): ReactNode {
  return (
    <PageLoadBoundary>
      <Suspense fallback={<PageLoading />}>{children}</Suspense>
    </PageLoadBoundary>
  );
}

function PageLoading(): ReactNode {
  const t = useT();
  return (
    <div className="page page-loading" aria-busy="true">
      <p role="status">{t('common.loading')}</p>
    </div>
  );
}

function PageLoadFailed(): ReactNode {
  const t = useT();
  return (
    <div className="page">
      <Notice kind="error">
        <p>{t('common.pageLoadFailed')}</p>
        <Button onClick={() => window.location.reload()}>{t('common.reload')}</Button>
      </Notice>
    </div>
  );
}

class PageLoadBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render(): ReactNode {
    return this.state.failed ? <PageLoadFailed /> : this.props.children;
  }
}
