/** Every end-user login and failed login, newest first; filters (outcome, scenario, WeChat app) in the URL, paged by cursor. */
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { navigate, useSearchParams } from '../../router.tsx';
import { connectionListSchema, type LoginEvent, loginEventPageSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { LoadMore, useCursorPages } from '../../ui/cursor-pages.tsx';
import { SelectField } from '../../ui/field.tsx';
import { AppFilter, ScenarioFilter } from '../../ui/filter-fields.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { LoginEvents } from './login-events.tsx';

const FILTERS = ['outcome', 'scenario', 'appid'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

export function LoginsPage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const params = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Filters;
  const key = FILTERS.map((name) => applied[name]).join('|');
  const [input, setInput] = useState<Filters>(applied);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is `applied` in one string
  useEffect(() => setInput(applied), [key]);
  const connections = useLoad(() => api.get('/api/v1/connections', connectionListSchema).then((list) => list.connections), []);
  const pages = useCursorPages<LoginEvent>(
    async (cursor) => {
      const page = await api.get('/api/v1/login-events', loginEventPageSchema, { ...applied, limit: 50, cursor });
      return { items: page.events, nextCursor: page.nextCursor };
    },
    [key],
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const name of FILTERS) if (input[name] !== '') query.set(name, input[name]);
    const text = query.toString();
    navigate(text ? `/logins?${text}` : '/logins');
  };
  const set = (name: keyof Filters) => (event: { target: { value: string } }) =>
    setInput((current) => ({ ...current, [name]: event.target.value }));
  return (
    <Page title={t('nav.logins')} description={t('logins.description')}>
      <form className="search-bar card" onSubmit={submit} aria-label={t('logins.filters')}>
        <div className="filter-grid">
          <SelectField label={t('logins.col.outcome')} value={input.outcome} onChange={set('outcome')}>
            <option value="">{t('people.filter.any')}</option>
            <option value="succeeded">{t('logins.succeeded')}</option>
            <option value="failed">{t('logins.failed')}</option>
          </SelectField>
          <ScenarioFilter label={t('logins.col.scenario')} value={input.scenario} onChange={set('scenario')} />
          <AppFilter label={t('logins.col.app')} value={input.appid} onChange={set('appid')} connections={connections.data ?? []} />
        </div>
        <div className="row">
          <Button type="submit" variant="primary">
            {t('audit.filter')}
          </Button>
          {key !== '||' ? <Button onClick={() => navigate('/logins')}>{t('audit.clear')}</Button> : null}
        </div>
      </form>
      <section className="card">
        <Loaded load={pages.first}>
          {(page) => {
            const { items, cursor, loadMore } = pages.pagesAfter(page);
            return (
              <>
                <LoginEvents events={items} caption={t('nav.logins')} connections={connections.data ?? []} />
                <LoadMore cursor={cursor} busy={pages.loadingMore} onClick={loadMore} />
              </>
            );
          }}
        </Loaded>
      </section>
    </Page>
  );
}
