import { type DependencyList, useCallback, useEffect, useState } from 'react';

type LoadState<T> =
  | { state: 'loading'; data: T | undefined }
  | { state: 'ready'; data: T }
  | { state: 'error'; error: unknown; data: T | undefined };

export type Load<T> = LoadState<T> & { reload: () => void };

/**
 * Runs `load` when `deps` change and on `reload()`; an answer that arrives after the inputs changed
 * is dropped, so a slow search never overwrites a newer one. Keeps the last data while reloading.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Load<T> {
  const [result, setResult] = useState<LoadState<T>>({ state: 'loading', data: undefined });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `deps` are the caller's inputs to `load`.
  useEffect(() => {
    let current = true;
    setResult((previous) => ({ state: 'loading', data: previous.data }));
    load().then(
      (data) => {
        if (current) setResult({ state: 'ready', data });
      },
      (error: unknown) => {
        if (current) setResult((previous) => ({ state: 'error', error, data: previous.data }));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  return { ...result, reload };
}
