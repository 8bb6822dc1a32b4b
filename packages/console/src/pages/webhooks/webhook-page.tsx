/**
 * `/webhooks/:id`: one endpoint — its settings (edit, enable after an alert, rotate the secret,
 * send a test event, delete) and its delivery log: each event sent, its status, attempts and the
 * last answer, every attempt on demand, and replay of one event or of a time range.
 */
import { type FormEvent, type ReactNode, useState } from 'react';
import { api, noContent } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { navigate } from '../../router.tsx';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { LoadMore, useCursorPages } from '../../ui/cursor-pages.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { Field, SelectField } from '../../ui/field.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { EndpointDialog, SecretDialog } from './endpoint-form.tsx';
import {
  type Attempt,
  attemptListSchema,
  type Delivery,
  deliveryPageSchema,
  type Endpoint,
  endpointSchema,
  endpointWithSecretSchema,
  pingSchema,
  replaySchema,
} from './model.ts';

const STATUS_FILTERS = ['', 'pending', 'delivered', 'failed'] as const;
type StatusFilter = (typeof STATUS_FILTERS)[number];
const statusFilter = (value: string): StatusFilter => STATUS_FILTERS.find((s) => s === value) ?? '';

export function WebhookPage({ params }: RouteProps): ReactNode {
  const { t, formatDateTime } = useI18n();
  const id = params.id ?? '';
  const path = `/api/v1/webhooks/endpoints/${encodeURIComponent(id)}`;
  const notify = useNotify();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [status, setStatus] = useState<StatusFilter>('');
  const [attemptsOf, setAttemptsOf] = useState<Delivery | null>(null);
  const endpoint = useLoad(() => api.get(path, endpointSchema), [path]);
  const log = useCursorPages(
    async (cursor) => {
      const page = await api.get(`${path}/deliveries`, deliveryPageSchema, { status, cursor, limit: 50 });
      return { items: page.deliveries, nextCursor: page.nextCursor };
    },
    [path, status],
  );
  const reload = () => {
    endpoint.reload();
    log.first.reload();
  };

  const run = async (action: () => Promise<string>) => {
    try {
      notify(await action());
      reload();
    } catch (error) {
      notify(errorMessage(error), 'error');
    }
  };
  const enable = (e: Endpoint) =>
    run(async () => {
      await api.patch(path, endpointSchema, { enabled: !e.enabled });
      return e.enabled ? t('webhooks.disabled') : t('webhooks.enabled');
    });
  const ping = () =>
    run(async () => {
      await api.post(`${path}/test`, pingSchema);
      return t('webhooks.pingSent');
    });
  const replayOne = (delivery: Delivery) =>
    run(async () => {
      await api.post(`${path}/replay`, replaySchema, { eventId: delivery.eventId });
      return t('webhooks.replayed', { count: '1' });
    });
  const rotate = async () => {
    let fresh: string | null = null;
    const confirmed = await confirm({
      title: t('webhooks.rotateTitle'),
      body: t('webhooks.rotateBody'),
      confirmLabel: t('webhooks.rotateConfirm'),
      action: async () => {
        fresh = (await api.post(`${path}/secret`, endpointWithSecretSchema, { overlapSeconds: 86_400 })).secret;
      },
    });
    if (confirmed && fresh !== null) {
      setSecret(fresh);
      endpoint.reload();
    }
  };
  const remove = async (e: Endpoint) => {
    const confirmed = await confirm({
      title: t('webhooks.deleteTitle'),
      body: t('webhooks.deleteBody', { url: e.url }),
      confirmLabel: t('webhooks.deleteConfirm'),
      action: () => api.delete(path, noContent),
    });
    if (confirmed) {
      notify(t('webhooks.deleted', { url: e.url }));
      navigate('/webhooks');
    }
  };

  return (
    <Loaded load={endpoint}>
      {(e) => (
        <Page
          title={t('webhooks.endpointTitle')}
          description={<span className="mono">{e.url}</span>}
          actions={
            <>
              <Button onClick={() => setEditing(true)}>{t('webhooks.edit')}</Button>
              <Button onClick={() => enable(e)}>{e.enabled ? t('webhooks.disable') : t('webhooks.enable')}</Button>
              <Button onClick={ping}>{t('webhooks.ping')}</Button>
              <Button onClick={rotate}>{t('webhooks.rotate')}</Button>
              <Button variant="danger" onClick={() => remove(e)}>
                {t('webhooks.delete')}
              </Button>
            </>
          }
        >
          {e.disabledReason !== null ? (
            <Notice kind="error">
              <strong>{t('webhooks.alert.disabled')}</strong> {e.disabledReason} {t('webhooks.alert.fix')}
            </Notice>
          ) : !e.enabled ? (
            <Notice kind="warning">{t('webhooks.alert.off')}</Notice>
          ) : e.failingSince !== null ? (
            <Notice kind="warning">{t('webhooks.failingSince', { date: formatDateTime(e.failingSince) })}</Notice>
          ) : null}
          <dl className="details card">
            <dt>{t('webhooks.col.events')}</dt>
            <dd className="small">{e.events.join(', ')}</dd>
            {e.description === '' ? null : (
              <>
                <dt>{t('webhooks.field.description')}</dt>
                <dd>{e.description}</dd>
              </>
            )}
            {e.previousSecretExpiresAt === null ? null : (
              <>
                <dt>{t('webhooks.overlap')}</dt>
                <dd>{t('webhooks.overlapUntil', { date: formatDateTime(e.previousSecretExpiresAt) })}</dd>
              </>
            )}
          </dl>
          <h2>{t('webhooks.log')}</h2>
          <div className="search-bar">
            <SelectField label={t('webhooks.filter.status')} value={status} onChange={(ev) => setStatus(statusFilter(ev.target.value))}>
              <option value="">{t('webhooks.filter.all')}</option>
              <option value="pending">{t('webhooks.delivery.pending')}</option>
              <option value="delivered">{t('webhooks.delivery.delivered')}</option>
              <option value="failed">{t('webhooks.delivery.failed')}</option>
            </SelectField>
          </div>
          <Loaded load={log.first}>
            {(first) => {
              const { items, cursor, loadMore } = log.pagesAfter(first);
              return items.length === 0 ? (
                <EmptyState title={t('webhooks.log.empty')} />
              ) : (
                <>
                  <Table<Delivery>
                    caption={t('webhooks.log')}
                    rows={items}
                    rowKey={(d) => d.id}
                    columns={[
                      { key: 'at', header: t('webhooks.col.time'), cell: (d) => formatDateTime(d.createdAt) },
                      {
                        key: 'event',
                        header: t('webhooks.col.event'),
                        cell: (d) => (
                          <>
                            <span className="mono">{d.eventType}</span>
                            <div className="muted small mono">{d.eventId}</div>
                            {d.subjectId === null ? null : <div className="muted small mono">{d.subjectId}</div>}
                          </>
                        ),
                      },
                      {
                        key: 'status',
                        header: t('webhooks.col.status'),
                        cell: (d) => (
                          <span
                            className={`badge ${d.status === 'delivered' ? 'badge-active' : d.status === 'failed' ? 'badge-blocked' : ''}`}
                          >
                            {t(`webhooks.delivery.${d.status}`)}
                          </span>
                        ),
                      },
                      {
                        key: 'last',
                        header: t('webhooks.col.lastAttempt'),
                        cell: (d) =>
                          d.lastAttempt === null ? (
                            <span className="muted">{t('webhooks.notYet')}</span>
                          ) : (
                            <>
                              {d.lastAttempt.statusCode ?? '—'} {d.lastAttempt.error ?? ''}
                              <div className="muted small">
                                {t('webhooks.attemptsCount', { count: String(d.attempts) })} · {formatDateTime(d.lastAttempt.at)}
                              </div>
                            </>
                          ),
                      },
                      {
                        key: 'actions',
                        header: <span className="visually-hidden">{t('webhooks.col.actions')}</span>,
                        cell: (d) => (
                          <>
                            <Button className="button-small" onClick={() => setAttemptsOf(d)}>
                              {t('webhooks.attempts')}
                            </Button>{' '}
                            <Button
                              className="button-small"
                              onClick={() => replayOne(d)}
                              aria-label={t('webhooks.replayLabel', { id: d.eventId })}
                            >
                              {t('webhooks.replay')}
                            </Button>
                          </>
                        ),
                      },
                    ]}
                  />
                  <LoadMore cursor={cursor} busy={log.loadingMore} onClick={loadMore} />
                </>
              );
            }}
          </Loaded>
          <ReplayRange path={path} onDone={reload} />
          {editing ? (
            <EndpointDialog
              endpoint={e}
              onSaved={() => {
                notify(t('webhooks.saved'));
                reload();
              }}
              onClose={() => setEditing(false)}
            />
          ) : null}
          {secret !== null ? <SecretDialog rotated secret={secret} onClose={() => setSecret(null)} /> : null}
          {attemptsOf !== null ? <AttemptsDialog delivery={attemptsOf} onClose={() => setAttemptsOf(null)} /> : null}
        </Page>
      )}
    </Loaded>
  );
}

/** Every attempt of one delivery: time, status, error, the start of the answer. */
function AttemptsDialog({ delivery, onClose }: { delivery: Delivery; onClose: () => void }): ReactNode {
  const { t, formatDateTime } = useI18n();
  const attempts = useLoad(
    async () => (await api.get(`/api/v1/webhooks/deliveries/${encodeURIComponent(delivery.id)}/attempts`, attemptListSchema)).attempts,
    [delivery.id],
  );
  return (
    <Dialog wide title={t('webhooks.attemptsTitle', { type: delivery.eventType })} onClose={onClose}>
      <Loaded load={attempts}>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">{t('webhooks.notYet')}</p>
          ) : (
            <Table<Attempt>
              caption={t('webhooks.attempts')}
              rows={list}
              rowKey={(a) => a.id}
              columns={[
                { key: 'at', header: t('webhooks.col.time'), cell: (a) => formatDateTime(a.at) },
                {
                  key: 'result',
                  header: t('webhooks.col.result'),
                  cell: (a) =>
                    a.ok ? (
                      <span className="badge badge-active">{a.statusCode}</span>
                    ) : (
                      <span className="badge badge-blocked">{a.statusCode ?? a.error}</span>
                    ),
                },
                { key: 'duration', header: t('webhooks.col.duration'), cell: (a) => `${a.durationMs} ms` },
                {
                  key: 'answer',
                  header: t('webhooks.col.answer'),
                  cell: (a) => <code className="small">{a.responseExcerpt ?? a.error ?? ''}</code>,
                },
              ]}
            />
          )
        }
      </Loaded>
    </Dialog>
  );
}

/** Replay every stored event of a time range the endpoint subscribes to. */
function ReplayRange({ path, onDone }: { path: string; onDone: () => void }): ReactNode {
  const { t } = useI18n();
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const start = Date.parse(from);
    const end = Date.parse(to);
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
      setError(t('webhooks.range.invalid'));
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const result = await api.post(`${path}/replay`, replaySchema, { from: start, to: end });
      notify(t('webhooks.replayed', { count: String(result.queued) }));
      onDone();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form card" onSubmit={submit} noValidate>
      <h2>{t('webhooks.range.title')}</h2>
      <p className="muted">{t('webhooks.range.help')}</p>
      <Field label={t('webhooks.range.from')} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
      <Field label={t('webhooks.range.to')} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
      {error ? <Notice kind="error">{error}</Notice> : null}
      <Button type="submit" busy={busy}>
        {t('webhooks.range.submit')}
      </Button>
    </form>
  );
}
