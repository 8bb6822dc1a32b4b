/**
 * People: one search box and filters (WeChat app, scenario, created, last login, phone, status),
 * all kept in the URL so back and reload keep them; each is an indexed query on the server, paged
 * by cursor. "Add person" creates someone (e.g. to pre-provision them before they bind WeChat).
 */
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';
import { connectionListSchema, type User, userPageSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { LoadMore, useCursorPages } from '../../ui/cursor-pages.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { AppFilter, ScenarioFilter } from '../../ui/filter-fields.tsx';
import { IconSearch } from '../../ui/icons.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { PeopleTable } from './people-table.tsx';
import { PersonFormDialog } from './person-form.tsx';

const FILTERS = ['q', 'status', 'appid', 'scenario', 'hasPhone', 'createdFrom', 'createdTo', 'lastLoginFrom', 'lastLoginTo'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Record<Filter, string>;

/** A `yyyy-mm-dd` day in the browser's time zone as ms: its start, or (`end`) the start of the next day. */
export function dayToMs(day: string, end = false): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const start = new Date(`${day}T00:00:00`);
  if (Number.isNaN(start.getTime())) return undefined;
  if (end) start.setDate(start.getDate() + 1);
  return start.getTime();
}

export function PeoplePage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const params = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Filters;
  const key = FILTERS.map((name) => applied[name]).join('|');
  const [input, setInput] = useState<Filters>(applied);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is `applied` in one string
  useEffect(() => setInput(applied), [key]);
  const [creating, setCreating] = useState(false);
  const connections = useLoad(() => api.get('/api/v1/connections', connectionListSchema).then((list) => list.connections), []);

  const pages = useCursorPages<User>(
    async (cursor) => {
      const page = await api.get('/api/v1/users', userPageSchema, {
        q: applied.q.trim(),
        status: applied.status,
        appid: applied.appid,
        scenario: applied.scenario,
        hasPhone: applied.hasPhone,
        createdFrom: dayToMs(applied.createdFrom),
        createdTo: dayToMs(applied.createdTo, true),
        lastLoginFrom: dayToMs(applied.lastLoginFrom),
        lastLoginTo: dayToMs(applied.lastLoginTo, true),
        limit: 50,
        cursor,
      });
      return { items: page.users, nextCursor: page.nextCursor };
    },
    [key],
  );
  const filtered = FILTERS.some((name) => applied[name] !== '');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const name of FILTERS) if (input[name].trim() !== '') query.set(name, input[name].trim());
    const text = query.toString();
    navigate(text ? `/people?${text}` : '/people');
  };
  const set = (name: Filter) => (event: { target: { value: string } }) =>
    setInput((current) => ({ ...current, [name]: event.target.value }));

  return (
    <Page
      title={t('nav.people')}
      actions={
        <>
          <Link className="button button-secondary" to="/people/import">
            {t('imports.open')}
          </Link>
          <Button variant="primary" onClick={() => setCreating(true)}>
            {t('people.add')}
          </Button>
        </>
      }
    >
      <form className="search-bar card people-filters" onSubmit={submit} aria-label={t('people.filters')}>
        <Field label={t('people.searchLabel')} hint={t('people.searchHint')} type="search" name="q" value={input.q} onChange={set('q')} />
        <div className="filter-grid">
          <SelectField label={t('people.filter.status')} value={input.status} onChange={set('status')}>
            <option value="">{t('people.filter.any')}</option>
            {(['active', 'blocked', 'merged', 'deleted'] as const).map((status) => (
              <option key={status} value={status}>
                {t(`status.${status}`)}
              </option>
            ))}
          </SelectField>
          <AppFilter label={t('people.filter.app')} value={input.appid} onChange={set('appid')} connections={connections.data ?? []} />
          <ScenarioFilter label={t('people.filter.scenario')} value={input.scenario} onChange={set('scenario')} />
          <SelectField label={t('people.filter.phone')} value={input.hasPhone} onChange={set('hasPhone')}>
            <option value="">{t('people.filter.any')}</option>
            <option value="true">{t('people.filter.withPhone')}</option>
            <option value="false">{t('people.filter.withoutPhone')}</option>
          </SelectField>
          <Field label={t('people.filter.createdFrom')} type="date" value={input.createdFrom} onChange={set('createdFrom')} />
          <Field label={t('people.filter.createdTo')} type="date" value={input.createdTo} onChange={set('createdTo')} />
          <Field label={t('people.filter.lastLoginFrom')} type="date" value={input.lastLoginFrom} onChange={set('lastLoginFrom')} />
          <Field label={t('people.filter.lastLoginTo')} type="date" value={input.lastLoginTo} onChange={set('lastLoginTo')} />
        </div>
        <div className="row">
          <Button type="submit" variant="primary" icon={<IconSearch />}>
            {t('people.search')}
          </Button>
          {filtered ? <Button onClick={() => navigate('/people')}>{t('people.clear')}</Button> : null}
        </div>
      </form>
      <section className="card" aria-busy={pages.first.state === 'loading'}>
        <Loaded load={pages.first}>
          {(page) => {
            const { items: users, cursor, loadMore } = pages.pagesAfter(page);
            if (users.length === 0) {
              return (
                <EmptyState
                  title={applied.q ? t('people.noResults', { q: applied.q }) : filtered ? t('people.noMatch') : t('people.empty')}
                />
              );
            }
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
      {creating ? (
        <PersonFormDialog
          onClose={() => setCreating(false)}
          onSaved={(user) => {
            setCreating(false);
            navigate(`/people/${encodeURIComponent(user.id)}`);
          }}
        />
      ) : null}
    </Page>
  );
}
