/** One search box over people (`GET /users?q=`); the query lives in the URL so back and reload keep it. */
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import { navigate, useSearchParams } from '../../router.tsx';
import type { RouteProps } from '../../routes.tsx';
import { type User, userPageSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { Field } from '../../ui/field.tsx';
import { IconSearch } from '../../ui/icons.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { PeopleTable } from './people-table.tsx';

export function PeoplePage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const q = useSearchParams().get('q') ?? '';
  const [input, setInput] = useState(q);
  useEffect(() => setInput(q), [q]);
  const [more, setMore] = useState<{ users: User[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const results = useLoad(() => {
    setMore(null);
    return api.get('/api/v1/users', userPageSchema, { q: q.trim(), limit: 50 });
  }, [q]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = input.trim();
    navigate(text ? `/people?q=${encodeURIComponent(text)}` : '/people');
  };

  return (
    <Page title={t('nav.people')}>
      <form className="search-bar card" onSubmit={submit}>
        <Field
          label={t('people.searchLabel')}
          hint={t('people.searchHint')}
          type="search"
          name="q"
          value={input}
          onChange={(e) => setInput(e.target.value)}
        />
        <div className="row">
          <Button type="submit" variant="primary" icon={<IconSearch />}>
            {t('people.search')}
          </Button>
          {q ? <Button onClick={() => navigate('/people')}>{t('people.clear')}</Button> : null}
        </div>
      </form>
      <section className="card" aria-busy={results.state === 'loading'}>
        <Loaded load={results}>
          {(page) => {
            const users = [...page.users, ...(more?.users ?? [])];
            const cursor = more ? more.cursor : page.nextCursor;
            if (users.length === 0) return <EmptyState title={q ? t('people.noResults', { q }) : t('people.empty')} />;
            const loadMore = async () => {
              if (cursor === null) return;
              setLoadingMore(true);
              try {
                const next = await api.get('/api/v1/users', userPageSchema, { q: q.trim(), limit: 50, cursor });
                setMore({ users: [...(more?.users ?? []), ...next.users], cursor: next.nextCursor });
              } catch (error) {
                notify(errorMessage(error), 'error');
              } finally {
                setLoadingMore(false);
              }
            };
            return (
              <>
                <p className="muted small" role="status">
                  {t('people.count', { count: users.length, more: cursor === null ? '' : 'more' })}
                </p>
                <PeopleTable users={users} caption={t('people.results')} />
                {cursor !== null ? (
                  <div className="load-more">
                    <Button onClick={loadMore} busy={loadingMore}>
                      {t('common.more')}
                    </Button>
                  </div>
                ) : null}
              </>
            );
          }}
        </Loaded>
      </section>
    </Page>
  );
}
