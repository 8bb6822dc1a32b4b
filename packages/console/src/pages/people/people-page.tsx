/** One search box over people (`GET /users?q=`); the query lives in the URL so back and reload keep it. */
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';
import { type User, userPageSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { LoadMore, useCursorPages } from '../../ui/cursor-pages.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Field } from '../../ui/field.tsx';
import { IconSearch } from '../../ui/icons.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Page } from '../../ui/page.tsx';
import { PeopleTable } from './people-table.tsx';

export function PeoplePage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const q = useSearchParams().get('q') ?? '';
  const [input, setInput] = useState(q);
  useEffect(() => setInput(q), [q]);
  const pages = useCursorPages<User>(
    async (cursor) => {
      const page = await api.get('/api/v1/users', userPageSchema, { q: q.trim(), limit: 50, cursor });
      return { items: page.users, nextCursor: page.nextCursor };
    },
    [q],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = input.trim();
    navigate(text ? `/people?q=${encodeURIComponent(text)}` : '/people');
  };

  return (
    <Page
      title={t('nav.people')}
      actions={
        <Link className="button button-secondary" to="/people/import">
          {t('imports.open')}
        </Link>
      }
    >
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
      <section className="card" aria-busy={pages.first.state === 'loading'}>
        <Loaded load={pages.first}>
          {(page) => {
            const { items: users, cursor, loadMore } = pages.pagesAfter(page);
            if (users.length === 0) return <EmptyState title={q ? t('people.noResults', { q }) : t('people.empty')} />;
            return (
              <>
                <p className="muted small" role="status">
                  {t('people.count', { count: users.length, more: cursor === null ? '' : 'more' })}
                </p>
                <PeopleTable users={users} caption={t('people.results')} />
                <LoadMore cursor={cursor} busy={pages.loadingMore} onClick={loadMore} />
              </>
            );
          }}
        </Loaded>
      </section>
    </Page>
  );
}
