/**
 * One form for adding and editing a WeChat app. Every field says where its value is on WeChat's
 * platforms; secrets are write-only (never prefilled, empty keeps the stored one); only scenarios
 * the app type can serve are offered; "Test credentials" asks WeChat about the values in the form,
 * saved or not; once saved, the values to paste into WeChat are shown with copy buttons.
 */
import { type ReactNode, useId, useState } from 'react';
import { api, noContent } from '../../api.ts';
import { hasMessage, type MessageKey, useI18n, useT } from '../../i18n/index.ts';
import { navigate } from '../../router.tsx';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { CopyValue } from '../../ui/copy-value.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { CheckboxField, Field, SelectField } from '../../ui/field.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { useDraftForm } from '../../ui/use-draft-form.ts';
import {
  APP_TYPES,
  type AppType,
  type Connection,
  type CredentialCheck,
  connectionSchema,
  credentialCheckSchema,
  DEFAULT_POLICY,
  DEFAULT_SETTINGS,
  PATTERNS,
  type Policy,
  receivesPushes,
  type Scenario,
  type Settings,
  scenariosFor,
} from './model.ts';
import { PolicyFields } from './policy-fields.tsx';
import { ScenarioChoices } from './scenario-choices.tsx';

interface Draft {
  id: string;
  name: string;
  appType: AppType;
  appid: string;
  secret: string;
  token: string;
  encodingAesKey: string;
  originalId: string;
  openPlatformId: string;
  scenarios: Scenario[];
  settings: Settings;
  policy: Policy;
}

function draftOf(connection: Connection | null): Draft {
  if (connection === null) {
    return {
      id: '',
      name: '',
      appType: 'official_account',
      appid: '',
      secret: '',
      token: '',
      encodingAesKey: '',
      originalId: '',
      openPlatformId: '',
      scenarios: scenariosFor('official_account'),
      settings: DEFAULT_SETTINGS,
      policy: DEFAULT_POLICY,
    };
  }
  return {
    id: connection.id,
    name: connection.name,
    appType: connection.appType,
    appid: connection.appid,
    // Write-only: what is stored is never sent back, so these start empty ("leave empty to keep").
    secret: '',
    token: '',
    encodingAesKey: '',
    originalId: connection.originalId ?? '',
    openPlatformId: connection.openPlatformId ?? '',
    scenarios: connection.scenarios,
    settings: connection.settings,
    policy: connection.policy,
  };
}

type Errors = Partial<Record<keyof Draft, string>>;

function validate(draft: Draft, existing: Connection | null, t: ReturnType<typeof useT>): Errors {
  const errors: Errors = {};
  const pattern = (key: keyof typeof PATTERNS, message: string) => {
    const value = draft[key];
    if (value !== '' && !PATTERNS[key].test(value)) errors[key] = message;
  };
  if (existing === null && !PATTERNS.id.test(draft.id)) errors.id = t('connections.field.id.help');
  if (draft.name.trim() === '') errors.name = t('connections.field.name.help');
  if (!PATTERNS.appid.test(draft.appid)) errors.appid = t('connections.error.appid');
  pattern('token', t('connections.error.token'));
  pattern('encodingAesKey', t('connections.error.encodingAesKey'));
  pattern('originalId', t('connections.error.originalId'));
  if (draft.scenarios.length === 0) errors.scenarios = t('connections.error.scenarios');
  return errors;
}

/** The body for POST (new) or PATCH (existing): secrets only when typed, push fields only for push app types. */
function bodyOf(draft: Draft, existing: Connection | null): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: draft.name.trim(),
    appid: draft.appid,
    openPlatformId: draft.openPlatformId.trim() === '' ? null : draft.openPlatformId.trim(),
    scenarios: draft.scenarios,
    settings: draft.settings,
    policy: draft.policy,
  };
  if (existing === null) {
    body.id = draft.id;
    body.appType = draft.appType;
  }
  if (draft.secret !== '') body.secret = draft.secret;
  if (receivesPushes(draft.appType)) {
    if (draft.token !== '') body.token = draft.token;
    if (draft.encodingAesKey !== '') body.encodingAesKey = draft.encodingAesKey;
    if (draft.originalId !== '') body.originalId = draft.originalId;
  }
  return body;
}

export function ConnectionForm({ existing, onSaved }: { existing: Connection | null; onSaved?: () => void }): ReactNode {
  const t = useT();
  const notify = useNotify();
  const confirm = useConfirm();
  const { draft, setDraft, set, showErrors, setShowErrors, saving, saveError, submit } = useDraftForm<Draft>(() => draftOf(existing));
  const errors = validate(draft, existing, t);
  const shown = showErrors ? errors : {};
  const typeName = useId();

  const changeType = (appType: AppType) =>
    setDraft((current) => {
      const possible = scenariosFor(appType);
      const kept = current.scenarios.filter((scenario) => possible.includes(scenario));
      return { ...current, appType, scenarios: kept.length > 0 ? kept : possible };
    });

  const save = submit(errors, async () => {
    if (existing === null) {
      const created = await api.post('/api/v1/connections', connectionSchema, bodyOf(draft, null));
      notify(t('connections.created'));
      navigate(`/connections/${encodeURIComponent(created.id)}`, { replace: true });
    } else {
      const saved = await api.patch(`/api/v1/connections/${encodeURIComponent(existing.id)}`, connectionSchema, bodyOf(draft, existing));
      setDraft(draftOf(saved));
      setShowErrors(false);
      notify(t('connections.saved'));
      onSaved?.();
    }
  });

  const remove = async () => {
    if (existing === null) return;
    const confirmed = await confirm({
      title: t('connections.deleteTitle', { name: existing.name }),
      body: t('connections.deleteBody'),
      confirmLabel: t('connections.delete'),
      action: () => api.delete(`/api/v1/connections/${encodeURIComponent(existing.id)}`, noContent),
    });
    if (confirmed) {
      notify(t('connections.deleted'));
      navigate('/connections');
    }
  };

  const type = draft.appType;
  const helpFor = (base: string): string => {
    const specific = `${base}.${type}`;
    return hasMessage(specific) ? t(specific) : hasMessage(base) ? t(base) : '';
  };
  /** Secrets are write-only: never prefilled, and the placeholder says whether one is stored. */
  const secretInput = (stored: boolean | undefined) =>
    ({
      placeholder: stored === true ? t('connections.secretPlaceholderStored') : t('connections.secretPlaceholderNew'),
      autoComplete: 'off',
      spellCheck: false,
      'data-1p-ignore': true,
    }) as const;

  return (
    <form className="stack" onSubmit={save} noValidate>
      {existing?.source === 'config' ? <Notice kind="info">{t('connections.sourceNote.config')}</Notice> : null}
      {existing?.source === 'sandbox' ? <Notice kind="info">{t('connections.sourceNote.sandbox')}</Notice> : null}
      {/* A saved app: what to paste into WeChat comes first, it is the next step after saving. */}
      {existing === null ? null : <SetupSection connection={existing} />}

      {existing === null ? (
        <section className="card form-section" aria-labelledby={`${typeName}-h`}>
          <h2 id={`${typeName}-h`}>{t('connections.chooseType')}</h2>
          <div className="type-picker" role="radiogroup" aria-labelledby={`${typeName}-h`}>
            {APP_TYPES.map((appType) => (
              <div key={appType} className="type-option">
                <input
                  type="radio"
                  id={`${typeName}-${appType}`}
                  name={typeName}
                  value={appType}
                  checked={type === appType}
                  onChange={() => changeType(appType)}
                  aria-describedby={`${typeName}-${appType}-help`}
                />
                <label htmlFor={`${typeName}-${appType}`}>
                  <strong>{t(`appType.${appType}`)}</strong>
                </label>
                <p className="field-hint" id={`${typeName}-${appType}-help`}>
                  {t(`connections.typeHelp.${appType}`)}
                </p>
              </div>
            ))}
          </div>
        </section>
      ) : null}

      <section className="card form-section">
        <h2>{t('connections.section.basics')}</h2>
        {existing === null ? (
          <Field
            label={t('connections.field.id')}
            hint={t('connections.field.id.help')}
            value={draft.id}
            onChange={(event) => set('id', event.target.value.trim())}
            error={shown.id}
            autoComplete="off"
            spellCheck={false}
            required
          />
        ) : (
          <p className="muted">
            {t('connections.field.id')}: <span className="mono">{existing.id}</span> · {t(`appType.${existing.appType}`)}
          </p>
        )}
        <Field
          label={t('connections.field.name')}
          hint={t('connections.field.name.help')}
          value={draft.name}
          onChange={(event) => set('name', event.target.value)}
          error={shown.name}
          required
        />
        <Field
          label={t('connections.field.appid')}
          hint={helpFor('connections.field.appid.help')}
          value={draft.appid}
          onChange={(event) => set('appid', event.target.value.trim())}
          error={shown.appid}
          className="mono-input"
          autoComplete="off"
          spellCheck={false}
          required
        />
        {receivesPushes(type) ? (
          <Field
            label={t('connections.field.originalId')}
            hint={helpFor('connections.field.originalId.help')}
            value={draft.originalId}
            onChange={(event) => set('originalId', event.target.value.trim())}
            error={shown.originalId}
            autoComplete="off"
            spellCheck={false}
          />
        ) : null}
        <Field
          label={t('connections.field.openPlatformId')}
          hint={t('connections.field.openPlatformId.help')}
          value={draft.openPlatformId}
          onChange={(event) => set('openPlatformId', event.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </section>

      <section className="card form-section">
        <h2>{t('connections.section.secrets')}</h2>
        <p className="field-hint">{t('connections.section.secretsHelp')}</p>
        <Field
          label={t('connections.field.secret')}
          hint={helpFor('connections.field.secret.help')}
          value={draft.secret}
          onChange={(event) => set('secret', event.target.value.trim())}
          {...secretInput(existing?.secretSet)}
        />
        <CredentialTest draft={draft} existing={existing} />
        {receivesPushes(type) ? (
          <>
            <Field
              label={t('connections.field.token')}
              hint={helpFor('connections.field.token.help')}
              value={draft.token}
              onChange={(event) => set('token', event.target.value.trim())}
              {...secretInput(existing?.tokenSet)}
              error={shown.token}
            />
            <Field
              label={t('connections.field.encodingAesKey')}
              hint={t('connections.field.encodingAesKey.help')}
              value={draft.encodingAesKey}
              onChange={(event) => set('encodingAesKey', event.target.value.trim())}
              {...secretInput(existing?.encodingAesKeySet)}
              error={shown.encodingAesKey}
            />
          </>
        ) : null}
      </section>

      <section className="card form-section">
        <h2>{t('connections.section.scenarios')}</h2>
        <ScenarioChoices
          legend={t('connections.section.scenariosHelp')}
          offered={scenariosFor(type)}
          value={draft.scenarios}
          onChange={(scenarios) => set('scenarios', scenarios)}
          error={shown.scenarios}
        />
      </section>

      <SettingsSection appType={type} settings={draft.settings} onChange={(settings) => set('settings', settings)} />

      <section className="card form-section">
        <h2>{t('connections.section.policy')}</h2>
        <p className="field-hint">{t('connections.section.policyHelp')}</p>
        <PolicyFields value={draft.policy} onChange={(policy) => set('policy', { ...DEFAULT_POLICY, ...policy })} />
      </section>

      {existing === null ? <SetupSection connection={null} /> : null}

      {saveError ? <Notice kind="error">{saveError}</Notice> : null}
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={saving}>
          {existing === null ? t('connections.create') : t('common.save')}
        </Button>
        {existing === null ? (
          <Button onClick={() => navigate('/connections')}>{t('common.cancel')}</Button>
        ) : (
          <Button variant="danger" onClick={remove}>
            {t('connections.delete')}
          </Button>
        )}
      </div>
    </form>
  );
}

/** Behaviour settings, only those that mean something for this kind of app. */
function SettingsSection({
  appType,
  settings,
  onChange,
}: {
  appType: AppType;
  settings: Settings;
  onChange: (next: Settings) => void;
}): ReactNode {
  const t = useT();
  const miniProgram = appType === 'mini_program';
  const officialAccount = appType === 'official_account';
  if (!miniProgram && !officialAccount) return null;
  const choose = <K extends 'phoneNumber' | 'webAuthScope'>(key: K, options: readonly Settings[K][]) => (
    <SelectField
      label={t(`connections.settings.${key}`)}
      hint={t(`connections.settings.${key}.help`)}
      value={settings[key]}
      onChange={(event) => {
        const chosen = options.find((option) => option === event.target.value);
        if (chosen !== undefined) onChange({ ...settings, [key]: chosen });
      }}
    >
      {options.map((option) => (
        <option key={option} value={option}>
          {t(`connections.settings.${key}.${option}` as MessageKey)}
        </option>
      ))}
    </SelectField>
  );
  return (
    <section className="card form-section">
      <h2>{t('connections.section.settings')}</h2>
      {miniProgram ? choose('phoneNumber', ['off', 'optional', 'required']) : null}
      {miniProgram ? (
        <CheckboxField
          label={t('connections.settings.reusePhone')}
          hint={t('connections.settings.reusePhone.help')}
          checked={settings.reusePhone}
          onChange={(reusePhone) => onChange({ ...settings, reusePhone })}
        />
      ) : null}
      {officialAccount ? choose('webAuthScope', ['auto', 'snsapi_base', 'snsapi_userinfo']) : null}
      <CheckboxField
        label={t('connections.settings.revealScanner')}
        hint={t('connections.settings.revealScanner.help')}
        checked={settings.revealScanner}
        onChange={(revealScanner) => onChange({ ...settings, revealScanner })}
      />
    </section>
  );
}

/** "Test credentials": the stored connection (optionally with a newly typed secret), or the unsaved values. */
function CredentialTest({ draft, existing }: { draft: Draft; existing: Connection | null }): ReactNode {
  const t = useT();
  const { language } = useI18n();
  const errorMessage = useErrorMessage();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: 'check'; check: CredentialCheck } | { kind: 'error'; message: string } | null>(null);
  const test = async () => {
    const stored = existing !== null && existing.appid === draft.appid && existing.appType === draft.appType;
    let body: Record<string, unknown>;
    if (stored) body = { connectionId: existing.id, ...(draft.secret === '' ? {} : { secret: draft.secret }) };
    else if (PATTERNS.appid.test(draft.appid) && draft.secret !== '')
      body = { appType: draft.appType, appid: draft.appid, secret: draft.secret };
    else {
      setResult({ kind: 'error', message: t('connections.testNeedsSecret') });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      setResult({
        kind: 'check',
        check: await api.post('/api/v1/connections/check-credentials', credentialCheckSchema, { ...body, language }),
      });
    } catch (caught) {
      setResult({ kind: 'error', message: errorMessage(caught) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <div className="form-actions">
        <Button onClick={test} busy={busy}>
          {busy ? t('connections.testing') : t('connections.test')}
        </Button>
        <span className="field-hint">{t('connections.testHelp')}</span>
      </div>
      <div className="check-result" aria-live="polite">
        {result?.kind === 'error' ? <Notice kind="error">{result.message}</Notice> : null}
        {result?.kind === 'check' ? (
          <Notice kind={result.check.ok ? 'success' : 'error'}>
            <strong>
              {result.check.ok
                ? t('connections.testOk')
                : result.check.errcode === null
                  ? result.check.explanation
                  : t('connections.testFailed', { errcode: result.check.errcode, errmsg: result.check.errmsg ?? '' })}
            </strong>
            {result.check.ok || result.check.errcode !== null ? <> {result.check.explanation}</> : null}
          </Notice>
        ) : null}
      </div>
    </div>
  );
}

/** The values to paste into WeChat for a saved connection, each with where it goes and a copy button. */
function SetupSection({ connection }: { connection: Connection | null }): ReactNode {
  const t = useT();
  if (connection === null) {
    return (
      <section className="card form-section">
        <h2>{t('connections.section.setup')}</h2>
        <p className="muted">{t('connections.setup.saveFirst')}</p>
      </section>
    );
  }
  const type = connection.appType;
  const text = (key: string): string => (hasMessage(key) ? t(key) : key);
  return (
    <section className="card form-section">
      <h2>{t('connections.section.setup')}</h2>
      {connection.setup.length === 0 ? (
        <p>{t('connections.setup.none')}</p>
      ) : (
        <>
          <p className="field-hint">{t('connections.section.setupHelp')}</p>
          {connection.setup.map(({ key, value }) => {
            const base = `connections.setup.${key}`;
            const help = hasMessage(`${base}.help.${type}`) ? `${base}.help.${type}` : `${base}.help`;
            return <CopyValue key={key} label={text(base)} value={value} hint={hasMessage(help) ? t(help) : null} />;
          })}
        </>
      )}
      {receivesPushes(type) ? <p className="field-hint">{t('connections.setup.ipAllowlist')}</p> : null}
    </section>
  );
}
