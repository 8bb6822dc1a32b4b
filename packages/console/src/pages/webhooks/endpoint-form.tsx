/**
 * The form of a webhook endpoint (URL, description, events, enabled), in a dialog: creating one
 * ends by showing its signing secret — once, like an API key; editing one just saves.
 */
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import { Button } from '../../ui/button.tsx';
import { CopyValue } from '../../ui/copy-value.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { CheckboxField, Field } from '../../ui/field.tsx';
import { Notice } from '../../ui/notice.tsx';
import {
  defaultEvents,
  type Endpoint,
  endpointSchema,
  endpointWithSecretSchema,
  OPT_IN_WEBHOOK_EVENTS,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from './model.ts';
import '../../ui/setup-pages.css';

/** Shows a signing secret once (after creating an endpoint or rotating its secret). */
export function SecretDialog({ secret, onClose, rotated = false }: { secret: string; onClose: () => void; rotated?: boolean }): ReactNode {
  const { t } = useI18n();
  return (
    <Dialog
      wide
      title={t('webhooks.secretTitle')}
      onClose={onClose}
      footer={
        <Button variant="primary" onClick={onClose}>
          {t('webhooks.secretDone')}
        </Button>
      }
    >
      <Notice kind="warning">{t(rotated ? 'webhooks.secretRotatedWarning' : 'webhooks.secretWarning')}</Notice>
      <CopyValue label={t('webhooks.secretLabel')} value={secret} />
    </Dialog>
  );
}

export function EndpointDialog({
  endpoint,
  onSaved,
  onClose,
}: {
  /** Absent: a new endpoint. */
  endpoint?: Endpoint;
  onSaved: (endpoint: Endpoint) => void;
  onClose: () => void;
}): ReactNode {
  const { t } = useI18n();
  const errorMessage = useErrorMessage();
  const formId = useId();
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [events, setEvents] = useState<WebhookEventType[]>(endpoint?.events ?? defaultEvents());
  const [enabled, setEnabled] = useState(endpoint?.enabled ?? true);
  const [urlError, setUrlError] = useState<string | null>(null);
  const [eventsError, setEventsError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = url.trim();
    setUrlError(trimmed === '' ? t('webhooks.field.url.required') : null);
    setEventsError(events.length === 0 ? t('webhooks.field.events.required') : null);
    if (trimmed === '' || events.length === 0) return;
    setError(null);
    setBusy(true);
    try {
      const body = { url: trimmed, description: description.trim(), events, enabled };
      if (endpoint === undefined) {
        const created = await api.post('/api/v1/webhooks/endpoints', endpointWithSecretSchema, body);
        onSaved(created.endpoint);
        setSecret(created.secret);
      } else {
        onSaved(await api.patch(`/api/v1/webhooks/endpoints/${encodeURIComponent(endpoint.id)}`, endpointSchema, body));
        onClose();
      }
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  if (secret !== null) return <SecretDialog key="secret" secret={secret} onClose={onClose} />;
  return (
    <Dialog
      wide
      title={endpoint === undefined ? t('webhooks.createTitle') : t('webhooks.editTitle')}
      onClose={() => (busy ? undefined : onClose())}
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </Button>
          <Button variant="primary" type="submit" form={formId} busy={busy}>
            {endpoint === undefined ? t('webhooks.create') : t('webhooks.save')}
          </Button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} noValidate>
        <Field
          label={t('webhooks.field.url')}
          hint={t('webhooks.field.url.help')}
          error={urlError}
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          type="url"
          maxLength={2000}
          required
          autoComplete="off"
          placeholder="https://backend.example.com/weunion-events"
        />
        <Field
          label={t('webhooks.field.description')}
          hint={t('webhooks.field.description.help')}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          maxLength={500}
          autoComplete="off"
        />
        <fieldset className="choices">
          <legend>{t('webhooks.field.events')}</legend>
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type} className="choice">
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => setEvents(e.target.checked ? [...events, type] : events.filter((x) => x !== type))}
              />
              <span>
                <span className="mono">{type}</span> <span className="muted small">{t(`webhooks.event.${type}`)}</span>
                {OPT_IN_WEBHOOK_EVENTS.includes(type) ? <span className="muted small"> · {t('webhooks.optIn')}</span> : null}
              </span>
            </label>
          ))}
          {eventsError ? <p className="field-error">{eventsError}</p> : null}
        </fieldset>
        <CheckboxField
          label={t('webhooks.field.enabled')}
          hint={t('webhooks.field.enabled.help')}
          checked={enabled}
          onChange={setEnabled}
        />
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
    </Dialog>
  );
}
