/**
 * The sandbox panel: the virtual WeChat's people (with their openid/unionid per app) and apps,
 * fault switches applied the moment they change, the event-push log refreshing on its own, a link
 * to the virtual phone, and resetting the world.
 */
import { type ReactNode, useEffect, useId, useState } from 'react';
import { z } from 'zod';
import { api } from '../../api.ts';
import { type MessageKey, useT } from '../../i18n/index.ts';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { Field, SelectField } from '../../ui/field.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import { useLoad } from '../../ui/use-load.ts';
import {
  CONTROL,
  type FaultSettings,
  faultsSchema,
  INJECTABLE_ERRCODES,
  identitySchema,
  isEmpty,
  type Person,
  type PushLogEntry,
  personSchema,
  pushLogSchema,
  RATES,
  type SandboxApp,
  sandboxAppSchema,
  sandboxInfoSchema,
} from './model.ts';
import '../../ui/setup-pages.css';

const EVENTS_REFRESH_MS = 4000;

export function SandboxPage(): ReactNode {
  const t = useT();
  const notify = useNotify();
  const confirm = useConfirm();
  const [generation, setGeneration] = useState(0);
  const info = useLoad(() => api.get(CONTROL, sandboxInfoSchema), []);
  const world = useLoad(async () => {
    const [apps, people] = await Promise.all([
      api.get(`${CONTROL}/apps`, sandboxAppSchema.array()),
      api.get(`${CONTROL}/people`, personSchema.array()),
    ]);
    return { apps, people };
  }, [generation]);
  const reset = async () => {
    let counts = { apps: 0, people: 0 };
    const confirmed = await confirm({
      title: t('sandbox.resetTitle'),
      body: t('sandbox.resetBody'),
      confirmLabel: t('sandbox.reset'),
      action: async () => {
        counts = await api.post(`${CONTROL}/reset`, z.object({ apps: z.number(), people: z.number() }));
      },
    });
    if (confirmed) {
      notify(t('sandbox.resetDone', counts));
      setGeneration((n) => n + 1);
    }
  };
  const phone = info.data?.phone;
  return (
    <Page
      title={t('sandbox.title')}
      description={t('sandbox.intro')}
      actions={
        <>
          {phone === undefined ? null : (
            <a className="button button-primary" href={phone} target="_blank" rel="noopener" title={t('sandbox.phone.help')}>
              {t('sandbox.phone')}
            </a>
          )}
          <Button variant="danger" onClick={reset}>
            {t('sandbox.reset')}
          </Button>
        </>
      }
    >
      <Loaded load={world}>
        {({ apps, people }) => (
          <div className="stack">
            <FaultsCard apps={apps} people={people} generation={generation} />
            <EventsCard apps={apps} generation={generation} />
            <AppsCard apps={apps} />
            <PeopleCard apps={apps} people={people} />
          </div>
        )}
      </Loaded>
    </Page>
  );
}

function appName(apps: SandboxApp[], appid: string | null, everyApp: string): string {
  if (appid === null) return everyApp;
  return apps.find((app) => app.appid === appid)?.name ?? appid;
}

function AppsCard({ apps }: { apps: SandboxApp[] }): ReactNode {
  const t = useT();
  return (
    <section className="card">
      <div className="card-header">
        <h2>{t('sandbox.apps')}</h2>
      </div>
      <Table<SandboxApp>
        caption={t('sandbox.apps')}
        rows={apps}
        rowKey={(app) => app.appid}
        columns={[
          { key: 'name', header: t('sandbox.apps.col.app'), cell: (app) => `${app.name} · ${t(`appType.${app.type}`)}` },
          { key: 'appid', header: t('sandbox.apps.col.appid'), cell: (app) => <span className="mono">{app.appid}</span> },
          { key: 'secret', header: t('sandbox.apps.secret'), cell: (app) => <span className="mono">{app.secret}</span> },
          {
            key: 'op',
            header: t('sandbox.apps.col.openPlatform'),
            cell: (app) => (app.openPlatformId === null ? <span className="muted">{t('sandbox.apps.unbound')}</span> : app.openPlatformId),
          },
        ]}
      />
    </section>
  );
}

function PeopleCard({ apps, people }: { apps: SandboxApp[]; people: Person[] }): ReactNode {
  const t = useT();
  return (
    <section className="card">
      <div className="card-header">
        <h2>{t('sandbox.people')}</h2>
      </div>
      <Table<Person>
        caption={t('sandbox.people')}
        rows={people}
        rowKey={(person) => person.id}
        columns={[
          {
            key: 'person',
            header: t('sandbox.people.col.person'),
            cell: (person) => (
              <>
                {person.nickname} <span className="muted mono">{person.id}</span>
                {person.snapshot ? <span className="badge">{t('sandbox.people.snapshot')}</span> : null}
              </>
            ),
          },
          { key: 'phone', header: t('sandbox.people.col.phone'), cell: (person) => person.phone ?? t('common.none') },
          {
            key: 'identities',
            header: t('sandbox.people.col.identities'),
            cell: (person) => <Identities apps={apps} personId={person.id} />,
          },
        ]}
      />
    </section>
  );
}

function Identities({ apps, personId }: { apps: SandboxApp[]; personId: string }): ReactNode {
  const t = useT();
  const [open, setOpen] = useState(false);
  const load = useLoad(
    () => (open ? api.get(`${CONTROL}/people/${encodeURIComponent(personId)}/identities`, identitySchema.array()) : Promise.resolve([])),
    [open, personId],
  );
  if (!open) {
    return (
      <Button variant="ghost" className="button-small" onClick={() => setOpen(true)}>
        {t('sandbox.people.showIdentities')}
      </Button>
    );
  }
  return (
    <Loaded load={load}>
      {(identities) => (
        <ul className="identity-list">
          {identities.map((identity) => (
            <li key={identity.appid}>
              <strong>{appName(apps, identity.appid, '')}</strong> openid <span className="mono">{identity.openid}</span>
              {identity.unionid === null ? null : (
                <>
                  {' '}
                  · unionid <span className="mono">{identity.unionid}</span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </Loaded>
  );
}

const ALL = '*';

/** Switches for one target (an app, or every app); each change is sent at once. */
function FaultsCard({ apps, people, generation }: { apps: SandboxApp[]; people: Person[]; generation: number }): ReactNode {
  const t = useT();
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const [faultsGeneration, setFaultsGeneration] = useState(0);
  const faults = useLoad(() => api.get(`${CONTROL}/faults`, faultsSchema), [generation, faultsGeneration]);
  const [target, setTarget] = useState<string>(apps[0]?.appid ?? ALL);
  const [error, setError] = useState<string | null>(null);
  const active = faults.data?.faults ?? [];
  const current: FaultSettings = active.find((fault) => (fault.appid ?? ALL) === target)?.settings ?? {};
  const appid = target === ALL ? undefined : target;
  const refresh = () => setFaultsGeneration((n) => n + 1);

  const run = async (action: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await action();
      notify(done);
    } catch (caught) {
      setError(errorMessage(caught));
    }
    refresh();
  };

  /** One app's fault, or (`undefined`) only the every-app one: per-app faults keep their counts. */
  const clearTarget = (key: string | undefined) =>
    api.delete(`${CONTROL}/faults?${key === undefined ? 'scope=global' : `appid=${encodeURIComponent(key)}`}`, faultsSchema);

  const apply = (next: FaultSettings) =>
    run(
      () =>
        isEmpty(next)
          ? clearTarget(appid)
          : api.put(`${CONTROL}/faults`, faultsSchema, { ...(appid === undefined ? {} : { appid }), ...next }),
      isEmpty(next) ? t('sandbox.faults.cleared') : t('sandbox.faults.applied'),
    );
  const change = <K extends keyof FaultSettings>(key: K, value: FaultSettings[K]) => {
    const next: FaultSettings = { ...current, [key]: value };
    if (value === undefined) delete next[key];
    // Rate and times only mean something with an errcode to inject.
    if (next.errcode === undefined) {
      delete next.rate;
      delete next.times;
    }
    void apply(next);
  };
  const expireTokens = () =>
    run(async () => {
      const answer = await api.put(`${CONTROL}/faults`, z.object({ revokedTokens: z.number() }).loose(), {
        ...(appid === undefined ? {} : { appid }),
        forceTokenExpiry: 'expired',
      });
      notify(t('sandbox.faults.expireTokens.done', { count: answer.revokedTokens }));
    }, t('sandbox.faults.applied'));

  const everyApp = t('sandbox.faults.allApps');
  const highRisk = current.highRiskPersonIds ?? [];
  return (
    <section className="card form-section">
      <div className="card-header">
        <h2>{t('sandbox.faults')}</h2>
        <Button
          variant="danger"
          className="button-small"
          onClick={() => run(() => api.delete(`${CONTROL}/faults`, faultsSchema), t('sandbox.faults.cleared'))}
        >
          {t('sandbox.faults.clearAll')}
        </Button>
      </div>
      <p className="field-hint">{t('sandbox.faults.help')}</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div className="grid-2">
        <div className="form-section">
          <SelectField label={t('sandbox.faults.target')} value={target} onChange={(event) => setTarget(event.target.value)}>
            {apps.map((app) => (
              <option key={app.appid} value={app.appid}>
                {app.name} ({app.appid})
              </option>
            ))}
            <option value={ALL}>{everyApp}</option>
          </SelectField>
          <SelectField
            label={t('sandbox.faults.errcode')}
            value={current.errcode === undefined ? '' : String(current.errcode)}
            onChange={(event) => change('errcode', event.target.value === '' ? undefined : Number(event.target.value))}
          >
            <option value="">{t('sandbox.faults.errcode.none')}</option>
            {INJECTABLE_ERRCODES.map((code) => (
              <option key={code} value={String(code)}>
                {t(`sandbox.faults.errcode.${code}` as MessageKey)}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t('sandbox.faults.rate')}
            value={String(current.rate ?? 1)}
            disabled={current.errcode === undefined}
            onChange={(event) => change('rate', Number(event.target.value) === 1 ? undefined : Number(event.target.value))}
          >
            {RATES.map((rate) => (
              <option key={rate} value={String(rate)}>
                {Math.round(rate * 100)}%
              </option>
            ))}
          </SelectField>
          <DeferredNumber
            label={t('sandbox.faults.times')}
            hint={t('sandbox.faults.times.help')}
            value={current.times}
            disabled={current.errcode === undefined}
            min={1}
            onCommit={(times) => change('times', times)}
          />
        </div>
        <div className="form-section">
          <DeferredNumber
            label={t('sandbox.faults.latency')}
            value={current.latencyMs}
            min={0}
            max={60000}
            onCommit={(latencyMs) => change('latencyMs', latencyMs === 0 ? undefined : latencyMs)}
          />
          <SelectField
            label={t('sandbox.faults.quota')}
            value={current.quota ?? ''}
            onChange={(event) =>
              change('quota', event.target.value === 'daily' || event.target.value === 'minute' ? event.target.value : undefined)
            }
          >
            <option value="">{t('sandbox.faults.quota.none')}</option>
            <option value="daily">{t('sandbox.faults.quota.daily')}</option>
            <option value="minute">{t('sandbox.faults.quota.minute')}</option>
          </SelectField>
          <fieldset className="choices">
            <legend>{t('sandbox.faults.highRisk')}</legend>
            {people.map((person) => (
              <label key={person.id} className="row">
                <input
                  type="checkbox"
                  checked={highRisk.includes(person.id)}
                  onChange={(event) =>
                    change(
                      'highRiskPersonIds',
                      event.target.checked
                        ? [...highRisk, person.id]
                        : highRisk.filter((id) => id !== person.id).length === 0
                          ? undefined
                          : highRisk.filter((id) => id !== person.id),
                    )
                  }
                />
                {person.nickname}
              </label>
            ))}
          </fieldset>
          <div className="form-actions">
            <Button onClick={expireTokens}>{t('sandbox.faults.expireTokens')}</Button>
          </div>
        </div>
      </div>
      <h3>{t('sandbox.faults.active')}</h3>
      {active.length === 0 ? (
        <p className="muted">{t('sandbox.faults.none')}</p>
      ) : (
        <ul className="identity-list">
          {active.map((fault) => (
            <li key={fault.appid ?? ALL} className="row">
              <strong>{appName(apps, fault.appid, everyApp)}</strong>
              <span className="mono">{JSON.stringify(fault.settings)}</span>
              <span className="muted">{t('sandbox.faults.injected', { count: fault.injected })}</span>
              <Button
                variant="ghost"
                className="button-small"
                onClick={() => run(() => clearTarget(fault.appid ?? undefined), t('sandbox.faults.cleared'))}
              >
                {t('sandbox.faults.clear')}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A number sent when the field is left or Enter is pressed (not on every keystroke). Empty means unset. */
function DeferredNumber({
  label,
  hint,
  value,
  onCommit,
  disabled,
  min,
  max,
}: {
  label: string;
  hint?: string;
  value: number | undefined;
  onCommit: (value: number | undefined) => void;
  disabled?: boolean;
  min?: number;
  max?: number;
}): ReactNode {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => setText(value === undefined ? '' : String(value)), [value]);
  const commit = () => {
    const parsed = text.trim() === '' ? undefined : Math.trunc(Number(text));
    if (parsed !== undefined && (!Number.isFinite(parsed) || (min !== undefined && parsed < min) || (max !== undefined && parsed > max))) {
      setText(value === undefined ? '' : String(value));
      return;
    }
    if (parsed !== value) onCommit(parsed);
  };
  return (
    <Field
      label={label}
      hint={hint}
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      value={text}
      disabled={disabled}
      onChange={(event) => setText(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          commit();
        }
      }}
    />
  );
}

function EventsCard({ apps, generation }: { apps: SandboxApp[]; generation: number }): ReactNode {
  const t = useT();
  const notify = useNotify();
  const [paused, setPaused] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (paused) return;
    const timer = setInterval(() => setTick((n) => n + 1), EVENTS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [paused]);
  const events = useLoad(() => api.get(`${CONTROL}/events`, pushLogSchema), [tick, generation]);
  const clear = async () => {
    await api.delete(`${CONTROL}/events`, z.array(z.unknown()));
    notify(t('sandbox.events.clear'));
    setTick((n) => n + 1);
  };
  return (
    <section className="card">
      <div className="card-header">
        <h2>{t('sandbox.events')}</h2>
        <span className="row">
          <Button variant="ghost" className="button-small" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
            {paused ? t('sandbox.events.resume') : t('sandbox.events.pause')}
          </Button>
          <Button variant="ghost" className="button-small" onClick={clear}>
            {t('sandbox.events.clear')}
          </Button>
        </span>
      </div>
      <p className="field-hint">
        {t('sandbox.events.help')} {paused ? t('sandbox.events.paused') : null}
      </p>
      <Loaded load={events}>
        {(entries) =>
          entries.length === 0 ? (
            <p className="muted">{t('sandbox.events.empty')}</p>
          ) : (
            <Table<PushLogEntry>
              caption={t('sandbox.events')}
              rows={[...entries].reverse()}
              rowKey={(entry) => entry.id}
              columns={[
                { key: 'at', header: t('sandbox.events.col.at'), cell: (entry) => <span className="mono">{entry.at}</span> },
                { key: 'app', header: t('sandbox.events.col.app'), cell: (entry) => appName(apps, entry.appid, '') },
                { key: 'event', header: t('sandbox.events.col.event'), cell: (entry) => <EventCell entry={entry} /> },
                {
                  key: 'result',
                  header: t('sandbox.events.col.result'),
                  cell: (entry) => (
                    <span className={entry.delivered ? 'badge badge-active' : 'badge badge-blocked'}>
                      {entry.delivered ? t('sandbox.events.delivered') : t('sandbox.events.failed')}
                      {entry.response === null ? '' : ` · HTTP ${entry.response.status}`} ·{' '}
                      {t('sandbox.events.attempt', { attempt: entry.attempt })}
                    </span>
                  ),
                },
              ]}
            />
          )
        }
      </Loaded>
    </section>
  );
}

function EventCell({ entry }: { entry: PushLogEntry }): ReactNode {
  const t = useT();
  const id = useId();
  const { event } = entry.request;
  const summary = [event.MsgType, event.Event, event.EventKey].filter((part) => part !== undefined && part !== '').join(' · ');
  return (
    <details>
      <summary>{summary === '' ? t('sandbox.events.details') : summary}</summary>
      <p id={id} className="field-hint mono">
        {entry.request.url}
      </p>
      <p className="field-hint">{t('sandbox.events.request')}</p>
      <pre className="event-body">{entry.request.body}</pre>
      <p className="field-hint">{t('sandbox.events.response')}</p>
      <pre className="event-body">{entry.response?.body ?? entry.error ?? ''}</pre>
    </details>
  );
}
