/**
 * Adding or editing an application: redirect allowlists (one URI per line, each checked as the
 * server will), the scenarios its hosted login page offers (marked when no WeChat app serves one
 * yet), first/third party, the login page's look with a live preview, and policy overrides.
 */
import { type ReactNode, useEffect, useId, useState } from 'react';
import { api } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import { navigate } from '../../router.tsx';
import { Button } from '../../ui/button.tsx';
import { CheckboxField, describedProps, Field, FieldShell, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { useDraftForm } from '../../ui/use-draft-form.ts';
import { useLoad } from '../../ui/use-load.ts';
import { connectionsSchema, SCENARIOS, type Scenario } from '../connections/model.ts';
import { PolicyFields, type PolicyOverride } from '../connections/policy-fields.tsx';
import { ScenarioChoices } from '../connections/scenario-choices.tsx';
import {
  APPLICATION_ID,
  APPLICATION_TYPES,
  type Application,
  type ApplicationType,
  applicationPolicySchema,
  applicationSchema,
  COLOR,
  createdApplicationSchema,
  isRedirectUri,
  loginPreviewSchema,
  parseUriLines,
} from './model.ts';

interface Draft {
  id: string;
  name: string;
  type: ApplicationType;
  redirectUris: string;
  postLogoutRedirectUris: string;
  scenarios: Scenario[];
  firstParty: boolean;
  logoUrl: string;
  primaryColor: string;
  termsUrl: string;
  privacyUrl: string;
  requireAgreement: boolean;
  policy: PolicyOverride;
}

function draftOf(application: Application | null): Draft {
  if (application === null) {
    return {
      id: '',
      name: '',
      type: 'web',
      redirectUris: '',
      postLogoutRedirectUris: '',
      scenarios: ['s1', 's2', 's3', 's4'],
      firstParty: true,
      logoUrl: '',
      primaryColor: '',
      termsUrl: '',
      privacyUrl: '',
      requireAgreement: false,
      policy: {},
    };
  }
  return {
    id: application.id,
    name: application.name,
    type: application.type,
    redirectUris: application.redirectUris.join('\n'),
    postLogoutRedirectUris: application.postLogoutRedirectUris.join('\n'),
    scenarios: application.scenarios,
    firstParty: application.firstParty,
    logoUrl: application.branding.logoUrl ?? '',
    primaryColor: application.branding.primaryColor ?? '',
    termsUrl: application.branding.termsUrl ?? '',
    privacyUrl: application.branding.privacyUrl ?? '',
    requireAgreement: application.branding.requireAgreement === true,
    policy: application.policy,
  };
}

type Errors = Partial<Record<keyof Draft, string>>;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export function ApplicationForm({
  existing,
  onCreated,
  onSaved,
}: {
  existing: Application | null;
  onCreated?: (application: Application, clientSecret: string | null) => void;
  onSaved?: (application: Application) => void;
}): ReactNode {
  const t = useT();
  const notify = useNotify();
  const { draft, set, showErrors, setShowErrors, saving, saveError, submit } = useDraftForm<Draft>(() => draftOf(existing));
  const connections = useLoad(() => api.get('/api/v1/connections', connectionsSchema), []);
  const served = new Set(connections.data?.connections.flatMap((connection) => connection.scenarios) ?? SCENARIOS);

  const errors: Errors = {};
  if (existing === null && !APPLICATION_ID.test(draft.id)) errors.id = t('applications.field.id.help');
  if (draft.name.trim() === '') errors.name = t('applications.field.name.help');
  const redirects = parseUriLines(draft.redirectUris);
  const badRedirect = redirects.find((uri) => !isRedirectUri(uri));
  if (redirects.length === 0) errors.redirectUris = t('applications.field.needRedirect');
  else if (badRedirect !== undefined) errors.redirectUris = t('applications.field.invalidUri', { uri: badRedirect });
  const postLogout = parseUriLines(draft.postLogoutRedirectUris);
  const badPostLogout = postLogout.find((uri) => !isRedirectUri(uri));
  if (badPostLogout !== undefined) errors.postLogoutRedirectUris = t('applications.field.invalidUri', { uri: badPostLogout });
  if (draft.scenarios.length === 0) errors.scenarios = t('connections.error.scenarios');
  if (draft.logoUrl !== '' && !isHttpUrl(draft.logoUrl)) errors.logoUrl = t('connections.invalidUrl');
  if (draft.primaryColor !== '' && !COLOR.test(draft.primaryColor)) errors.primaryColor = t('applications.field.primaryColorInvalid');
  if (draft.termsUrl !== '' && !isHttpUrl(draft.termsUrl)) errors.termsUrl = t('connections.invalidUrl');
  if (draft.privacyUrl !== '' && !isHttpUrl(draft.privacyUrl)) errors.privacyUrl = t('connections.invalidUrl');
  const shown = showErrors ? errors : {};

  const save = submit(errors, async () => {
    const body = {
      name: draft.name.trim(),
      redirectUris: redirects,
      postLogoutRedirectUris: postLogout,
      scenarios: draft.scenarios,
      firstParty: draft.firstParty,
      branding: brandingOf(draft),
      policy: draft.policy,
    };
    if (existing === null) {
      const created = await api.post('/api/v1/applications', createdApplicationSchema, { ...body, id: draft.id, type: draft.type });
      notify(t('applications.created'));
      onCreated?.(created.application, created.clientSecret);
    } else {
      // A PATCH changes branding and policy field by field: a field cleared in the form is sent as null.
      const patch = {
        ...body,
        branding: {
          logoUrl: draft.logoUrl === '' ? null : draft.logoUrl,
          primaryColor: draft.primaryColor === '' ? null : draft.primaryColor,
          termsUrl: draft.termsUrl === '' ? null : draft.termsUrl,
          privacyUrl: draft.privacyUrl === '' ? null : draft.privacyUrl,
          requireAgreement: draft.requireAgreement ? true : null,
        },
        policy: { ...Object.fromEntries(Object.keys(applicationPolicySchema.shape).map((key) => [key, null])), ...draft.policy },
      };
      const saved = await api.patch(`/api/v1/applications/${encodeURIComponent(existing.id)}`, applicationSchema, patch);
      notify(t('applications.saved'));
      setShowErrors(false);
      onSaved?.(saved);
    }
  });

  return (
    <form className="stack" onSubmit={save} noValidate>
      <section className="card form-section">
        {existing === null ? (
          <Field
            label={t('applications.field.id')}
            hint={t('applications.field.id.help')}
            value={draft.id}
            onChange={(event) => set('id', event.target.value.trim())}
            error={shown.id}
            autoComplete="off"
            spellCheck={false}
            required
          />
        ) : null}
        <Field
          label={t('applications.field.name')}
          hint={t('applications.field.name.help')}
          value={draft.name}
          onChange={(event) => set('name', event.target.value)}
          error={shown.name}
          required
        />
        {existing === null ? (
          <SelectField
            label={t('applications.field.type')}
            hint={t('applications.field.type.help')}
            value={draft.type}
            onChange={(event) => {
              const chosen = APPLICATION_TYPES.find((type) => type === event.target.value);
              if (chosen !== undefined) set('type', chosen);
            }}
          >
            {APPLICATION_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(`applications.type.${type}`)}
              </option>
            ))}
          </SelectField>
        ) : null}
        {(['redirectUris', 'postLogoutRedirectUris'] as const).map((key) => (
          <TextAreaField
            key={key}
            label={t(`applications.field.${key}`)}
            hint={t(`applications.field.${key}.help`)}
            value={draft[key]}
            onChange={(event) => set(key, event.target.value)}
            error={shown[key]}
            textAreaClassName="uri-list"
            spellCheck={false}
            placeholder="https://app.example.com/callback"
          />
        ))}
        <CheckboxField
          label={t('applications.field.firstParty')}
          hint={t('applications.field.firstParty.help')}
          checked={draft.firstParty}
          onChange={(firstParty) => set('firstParty', firstParty)}
        />
      </section>

      <section className="card form-section">
        <ScenarioChoices
          legend={t('applications.field.scenarios')}
          hint={t('applications.field.scenarios.help')}
          offered={SCENARIOS}
          value={draft.scenarios}
          onChange={(scenarios) => set('scenarios', scenarios)}
          error={shown.scenarios}
          note={(scenario) => (served.has(scenario) ? '' : ` (${t('applications.field.scenarios.unserved')})`)}
        />
      </section>

      <section className="card form-section">
        <h2>{t('applications.section.branding')}</h2>
        <p className="field-hint">{t('applications.section.brandingHelp')}</p>
        <div className="grid-2">
          <div className="form-section">
            <Field
              label={t('applications.field.logoUrl')}
              hint={t('applications.field.logoUrl.help')}
              value={draft.logoUrl}
              onChange={(event) => set('logoUrl', event.target.value.trim())}
              error={shown.logoUrl}
              type="url"
              placeholder="https://"
            />
            <ColorField value={draft.primaryColor} onChange={(value) => set('primaryColor', value)} error={shown.primaryColor} />
            <Field
              label={t('applications.field.termsUrl')}
              hint={t('applications.field.termsUrl.help')}
              value={draft.termsUrl}
              onChange={(event) => set('termsUrl', event.target.value.trim())}
              error={shown.termsUrl}
              type="url"
              placeholder="https://"
            />
            <Field
              label={t('applications.field.privacyUrl')}
              hint={t('applications.field.privacyUrl.help')}
              value={draft.privacyUrl}
              onChange={(event) => set('privacyUrl', event.target.value.trim())}
              error={shown.privacyUrl}
              type="url"
              placeholder="https://"
            />
            <CheckboxField
              label={t('applications.field.requireAgreement')}
              hint={t('applications.field.requireAgreement.help')}
              checked={draft.requireAgreement}
              onChange={(requireAgreement) => set('requireAgreement', requireAgreement)}
            />
          </div>
          <LoginPreview
            draft={draft}
            valid={errors.logoUrl === undefined && errors.termsUrl === undefined && errors.privacyUrl === undefined}
          />
        </div>
      </section>

      <section className="card form-section">
        <h2>{t('applications.section.policy')}</h2>
        <p className="field-hint">{t('applications.section.policyHelp')}</p>
        <PolicyFields inherit value={draft.policy} onChange={(policy) => set('policy', policy)} />
      </section>

      {saveError ? <Notice kind="error">{saveError}</Notice> : null}
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={saving}>
          {existing === null ? t('applications.create') : t('common.save')}
        </Button>
        {existing === null ? <Button onClick={() => navigate('/applications')}>{t('common.cancel')}</Button> : null}
      </div>
    </form>
  );
}

function ColorField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}): ReactNode {
  const t = useT();
  const id = useId();
  const hint = t('applications.field.primaryColor.help');
  return (
    <FieldShell id={id} label={t('applications.field.primaryColor')} hint={hint} error={error}>
      <div className="color-row">
        <input
          type="color"
          aria-label={t('applications.field.primaryColor.picker')}
          value={COLOR.test(value) ? value : '#07824a'}
          onChange={(event) => onChange(event.target.value)}
        />
        <input
          id={id}
          value={value}
          onChange={(event) => onChange(event.target.value.trim())}
          placeholder="#07824a"
          className="mono"
          {...describedProps(id, { hint, error })}
        />
      </div>
    </FieldShell>
  );
}

/** The branding fields as the API takes them (empty fields left out). */
function brandingOf(draft: Draft) {
  return {
    ...(draft.logoUrl === '' ? {} : { logoUrl: draft.logoUrl }),
    ...(COLOR.test(draft.primaryColor) ? { primaryColor: draft.primaryColor } : {}),
    ...(draft.termsUrl === '' ? {} : { termsUrl: draft.termsUrl }),
    ...(draft.privacyUrl === '' ? {} : { privacyUrl: draft.privacyUrl }),
    ...(draft.requireAgreement ? { requireAgreement: true } : {}),
  };
}

/**
 * The hosted login page as it will look, rendered by the server from the same template as the
 * real page (`POST /api/v1/applications/login-preview`) with the values as typed, in a sandboxed
 * frame: no script runs in it, and it loads only weunion's own stylesheet.
 */
function LoginPreview({ draft, valid }: { draft: Draft; valid: boolean }): ReactNode {
  const t = useT();
  const [language, setLanguage] = useState<'zh-CN' | 'en'>('zh-CN');
  const [device, setDevice] = useState<'desktop' | 'phone' | 'wechat'>('desktop');
  const [html, setHtml] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const request = JSON.stringify({
    ...(draft.id === '' ? {} : { id: draft.id }),
    name: draft.name,
    scenarios: draft.scenarios.length === 0 ? undefined : draft.scenarios,
    branding: brandingOf(draft),
    language,
    device,
  });
  useEffect(() => {
    if (!valid) return;
    let current = true;
    // Typing is not sent letter by letter: the preview follows a moment after the last change.
    const timer = setTimeout(() => {
      api.post('/api/v1/applications/login-preview', loginPreviewSchema, JSON.parse(request)).then(
        (answer) => {
          if (!current) return;
          setHtml(answer.html);
          setFailed(false);
        },
        () => {
          if (current) setFailed(true);
        },
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [request, valid]);
  return (
    <figure className="form-section login-preview">
      <figcaption className="field-hint">{t('applications.preview')}</figcaption>
      <div className="preview-controls">
        <SelectField
          label={t('applications.preview.language')}
          value={language}
          onChange={(event) => setLanguage(event.target.value === 'en' ? 'en' : 'zh-CN')}
        >
          <option value="zh-CN">中文</option>
          <option value="en">English</option>
        </SelectField>
        <SelectField
          label={t('applications.preview.device')}
          value={device}
          onChange={(event) => {
            const value = event.target.value;
            setDevice(value === 'phone' || value === 'wechat' ? value : 'desktop');
          }}
        >
          <option value="desktop">{t('applications.preview.desktop')}</option>
          <option value="phone">{t('applications.preview.phone')}</option>
          <option value="wechat">{t('applications.preview.wechat')}</option>
        </SelectField>
      </div>
      {failed ? <Notice kind="error">{t('applications.preview.failed')}</Notice> : null}
      {html === null ? null : (
        <iframe
          className={`preview-frame ${device === 'desktop' ? 'desktop' : 'phone'}`}
          title={t('applications.preview.frame')}
          sandbox=""
          srcDoc={html}
        />
      )}
    </figure>
  );
}
