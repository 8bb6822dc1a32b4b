import { useCallback } from 'react';
import { ApiError } from '../api.ts';
import { hasMessage, useT } from '../i18n/index.ts';

/**
 * A caught error in words: `error.<code>` from the dictionaries when there is one, else the server's
 * own `detail` (problem details are written to be shown), else the code.
 */
export function useErrorMessage(): (error: unknown) => string {
  const t = useT();
  return useCallback(
    (error: unknown) => {
      if (error instanceof ApiError) {
        const key = `error.${error.code}`;
        if (hasMessage(key)) return t(key, { detail: error.detail ?? '' });
        return error.detail ?? error.code;
      }
      return error instanceof Error ? error.message : String(error);
    },
    [t],
  );
}
