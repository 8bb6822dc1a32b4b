/**
 * The overview: headline totals and charts from `GET /stats/logins` — logins by scenario, by WeChat
 * app and by application, new people, failures by reason — over 7, 30 or 90 days in the browser's
 * time zone.
 */
import { SCENARIO_IDS } from '@weunion/management-api';
import { type ReactNode, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { connectionListSchema, loginStatsSchema } from '../../schemas.ts';
import { type Series, StackedBarChart } from '../../ui/charts.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { applicationsSchema } from '../applications/model.ts';
import { describeReason } from '../audit/words.ts';

const DAY_MS = 86_400_000;
const RANGES = [7, 30, 90] as const;
type Range = (typeof RANGES)[number];

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

async function loadOverview(days: Range) {
  const to = Date.now();
  // Minutes east of UTC, so days start at the viewer's midnight; `days` buckets end with today.
  const tzOffsetMinutes = -new Date().getTimezoneOffset();
  // Names are a nicety: without them the charts show appids and client ids.
  const [stats, connections, applications] = await Promise.all([
    api.get('/api/v1/stats/logins', loginStatsSchema, { from: to - (days - 1) * DAY_MS, to, bucket: 'day', tzOffsetMinutes }),
    api.get('/api/v1/connections', connectionListSchema).then(
      (list) => list.connections,
      () => [],
    ),
    api.get('/api/v1/applications', applicationsSchema).then(
      (list) => list.applications,
      () => [],
    ),
  ]);
  return { stats, connections, applications };
}

export function OverviewPage(_props: RouteProps): ReactNode {
  const { t, language, formatNumber } = useI18n();
  const [days, setDays] = useState<Range>(7);
  const data = useLoad(() => loadOverview(days), [days]);
  const dayLabel = new Intl.DateTimeFormat(language, { month: 'numeric', day: 'numeric' });
  return (
    <Page
      title={t('nav.overview')}
      description={t('overview.description')}
      actions={
        <fieldset className="segmented">
          <legend className="visually-hidden">{t('overview.range')}</legend>
          {RANGES.map((range) => (
            <label key={range} className={range === days ? 'segment checked' : 'segment'}>
              <input type="radio" name="range" value={range} checked={range === days} onChange={() => setDays(range)} />
              {t('overview.days', { days: range })}
            </label>
          ))}
        </fieldset>
      }
    >
      <Loaded load={data}>
        {({ stats, connections, applications }) => {
          const appName = (appid: string) => connections.find((connection) => connection.appid === appid)?.name ?? appid;
          const byScenario: Series[] = SCENARIO_IDS.filter((scenario) => stats.logins.byScenario[scenario] !== undefined).map(
            (scenario) => ({
              key: scenario,
              label: t(`scenario.${scenario}`),
              values: stats.logins.byScenario[scenario] ?? [],
            }),
          );
          const byApp: Series[] = Object.entries(stats.logins.byApp).map(([appid, values]) => ({
            key: appid,
            label: appName(appid),
            values,
          }));
          const byApplication: Series[] = Object.entries(stats.logins.byApplication).map(([clientId, values]) => ({
            key: clientId,
            label: applications.find((application) => application.id === clientId)?.name ?? clientId,
            values,
          }));
          const byReason: Series[] = Object.entries(stats.failures.byReason).map(([reason, values]) => {
            return { key: reason, label: describeReason(t, reason), values };
          });
          const formatBucket = (ms: number) => dayLabel.format(ms);
          const headline = [
            { key: 'logins', label: t('overview.logins'), value: sum(stats.logins.total) },
            { key: 'new', label: t('overview.newUsers'), value: sum(stats.newUsers) },
            { key: 'failures', label: t('overview.failures'), value: sum(stats.failures.total) },
            { key: 'apps', label: t('overview.apps'), value: byApp.filter((s) => sum(s.values) > 0).length },
          ];
          const charts = [
            { key: 'byScenario', title: t('overview.byScenario'), series: byScenario },
            { key: 'byApp', title: t('overview.byApp'), series: byApp },
            { key: 'byApplication', title: t('overview.byApplication'), series: byApplication },
            {
              key: 'newPerDay',
              title: t('overview.newPerDay'),
              series: [{ key: 'new', label: t('overview.newSeries'), values: stats.newUsers }],
            },
            { key: 'failuresByReason', title: t('overview.failuresByReason'), series: byReason },
          ];
          return (
            <>
              <dl className="stats">
                {headline.map((item) => (
                  <div key={item.key} className="card">
                    <dt className="stat-label">{item.label}</dt>
                    <dd className="stat-value">{formatNumber(item.value)}</dd>
                  </div>
                ))}
              </dl>
              <div className="grid-2">
                {charts.map((chart) => (
                  <StackedBarChart
                    key={chart.key}
                    title={chart.title}
                    buckets={stats.buckets}
                    series={chart.series}
                    formatBucket={formatBucket}
                    emptyText={t('overview.noData')}
                  />
                ))}
              </div>
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
