import type { ReactNode } from 'react';
import { useT } from '../i18n/index.ts';
import { Button } from './button.tsx';
import { useErrorMessage } from './errors.ts';
import { Notice } from './notice.tsx';
import type { Load } from './use-load.ts';

/** Loading text, or the error with a retry button, or `children(data)` — the three states every loaded view has. */
export function Loaded<T>({ load, children }: { load: Load<T>; children: (data: T) => ReactNode }): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  if (load.state === 'error' && load.data === undefined) {
    return (
      <Notice kind="error">
        {errorMessage(load.error)}{' '}
        <Button variant="ghost" onClick={load.reload}>
          {t('common.retry')}
        </Button>
      </Notice>
    );
  }
  if (load.data === undefined) {
    return (
      <p className="loading" role="status">
        {t('common.loading')}
      </p>
    );
  }
  return children(load.data);
}
