/**
 * A list the management API answers page by page (`nextCursor`): the first page loads with
 * `useLoad` (again whenever `deps` change, which also forgets the pages loaded after it), "More"
 * appends the next page, and a failed "More" is reported with `useNotify()` while the list stays.
 */
import { type DependencyList, type ReactNode, useState } from 'react';
import { useI18n } from '../i18n/index.ts';
import { Button } from './button.tsx';
import { useErrorMessage } from './errors.ts';
import { useNotify } from './notice.tsx';
import { type Load, useLoad } from './use-load.ts';

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CursorPages<T> {
  /** The first page, for `<Loaded>`. */
  first: Load<CursorPage<T>>;
  /** Everything loaded so far after `first`'s page, the cursor of the next one (null at the end), and how to load it. */
  pagesAfter: (first: CursorPage<T>) => { items: T[]; cursor: string | null; loadMore: () => Promise<void> };
  loadingMore: boolean;
}

/** `loadPage(undefined)` is the first page; `loadPage(cursor)` the one after `cursor`. */
export function useCursorPages<T>(loadPage: (cursor: string | undefined) => Promise<CursorPage<T>>, deps: DependencyList): CursorPages<T> {
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const [more, setMore] = useState<{ items: T[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const first = useLoad(() => {
    setMore(null);
    return loadPage(undefined);
  }, deps);
  const pagesAfter = (page: CursorPage<T>) => {
    const cursor = more ? more.cursor : page.nextCursor;
    const loadMore = async () => {
      if (cursor === null) return;
      setLoadingMore(true);
      try {
        const next = await loadPage(cursor);
        setMore({ items: [...(more?.items ?? []), ...next.items], cursor: next.nextCursor });
      } catch (error) {
        notify(errorMessage(error), 'error');
      } finally {
        setLoadingMore(false);
      }
    };
    return { items: [...page.items, ...(more?.items ?? [])], cursor, loadMore };
  };
  return { first, pagesAfter, loadingMore };
}

/** The "More" button under a paged list, while there is a next page. */
export function LoadMore({ cursor, busy, onClick }: { cursor: string | null; busy: boolean; onClick: () => void }): ReactNode {
  const { t } = useI18n();
  if (cursor === null) return null;
  return (
    <div className="load-more">
      <Button onClick={onClick} busy={busy}>
        {t('common.more')}
      </Button>
    </div>
  );
}
