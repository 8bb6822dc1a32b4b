import { type ReactNode, useEffect } from 'react';
import { useT } from '../i18n/index.ts';

interface PageProps {
  title: string;
  /** Buttons at the right of the heading. */
  actions?: ReactNode;
  /** A line under the heading. */
  description?: ReactNode;
  children: ReactNode;
}

/** A page's heading (the one `h1`) and the document title, so each view is named for screen readers and tabs. */
export function Page({ title, actions, description, children }: PageProps): ReactNode {
  const t = useT();
  useEffect(() => {
    document.title = `${title} · ${t('app.title')}`;
  }, [title, t]);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>{title}</h1>
          {description ? <p className="page-description">{description}</p> : null}
        </div>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      {children}
    </div>
  );
}
