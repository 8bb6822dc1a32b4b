/**
 * `/applications/new` and `/applications/:id`. A web application's client secret is shown exactly
 * once — right after it is made (creation, rotation) — with a copy button and a warning; "Try login"
 * sends a new tab through the real authorization endpoint as the application would.
 */
import { type ReactNode, useState } from 'react';
import { z } from 'zod';
import { api, noContent } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link, navigate } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { CopyValue } from '../../ui/copy-value.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { SelectField } from '../../ui/field.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { ApplicationForm } from './application-form.tsx';
import { type Application, applicationSchema, discoverySchema, pkceChallenge, randomToken, rotatedSecretSchema } from './model.ts';
import { WebOriginsSection } from './web-origins.tsx';
import '../../ui/setup-pages.css';

function SecretOnce({ secret, onDone }: { secret: string; onDone?: () => void }): ReactNode {
  const t = useT();
  return (
    <section className="card form-section secret-once" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title">{t('applications.secretTitle')}</h2>
      <Notice kind="info">{t('applications.secretWarning')}</Notice>
      <CopyValue label="client_secret" value={secret} />
      {onDone ? (
        <div className="form-actions">
          <Button variant="primary" onClick={onDone}>
            {t('applications.secretDone')}
          </Button>
        </div>
      ) : null}
    </section>
  );
}

export function NewApplicationPage(): ReactNode {
  const t = useT();
  const [created, setCreated] = useState<{ application: Application; secret: string } | null>(null);
  const open = (application: Application) => navigate(`/applications/${encodeURIComponent(application.id)}`, { replace: true });
  return (
    <Page title={t('applications.newTitle')} description={<Link to="/applications">← {t('applications.title')}</Link>}>
      {created === null ? (
        <ApplicationForm
          existing={null}
          onCreated={(application, secret) => (secret === null ? open(application) : setCreated({ application, secret }))}
        />
      ) : (
        <SecretOnce secret={created.secret} onDone={() => open(created.application)} />
      )}
    </Page>
  );
}

export function ApplicationPage({ params }: RouteProps): ReactNode {
  const t = useT();
  const id = params.id ?? '';
  const load = useLoad(() => api.get(`/api/v1/applications/${encodeURIComponent(id)}`, applicationSchema), [id]);
  return (
    <Page
      title={load.data === undefined ? t('applications.title') : t('applications.editTitle', { name: load.data.name })}
      description={<Link to="/applications">← {t('applications.title')}</Link>}
    >
      <Loaded load={load}>
        {(application) => <ApplicationDetail key={application.updatedAt} application={application} reload={load.reload} />}
      </Loaded>
    </Page>
  );
}

function ApplicationDetail({ application, reload }: { application: Application; reload: () => void }): ReactNode {
  const t = useT();
  const notify = useNotify();
  const confirm = useConfirm();
  const { setup } = useSession();
  const [newSecret, setNewSecret] = useState<string | null>(null);
  const rotate = async () => {
    let secret: string | null = null;
    const confirmed = await confirm({
      title: t('applications.rotateTitle'),
      body: t('applications.rotateBody'),
      confirmLabel: t('applications.rotate'),
      action: async () => {
        secret = (await api.post(`/api/v1/applications/${encodeURIComponent(application.id)}/secret`, rotatedSecretSchema)).clientSecret;
      },
    });
    if (confirmed) setNewSecret(secret);
  };
  const remove = async () => {
    const confirmed = await confirm({
      title: t('applications.deleteTitle', { name: application.name }),
      body: t('applications.deleteBody'),
      confirmLabel: t('applications.delete'),
      action: () => api.delete(`/api/v1/applications/${encodeURIComponent(application.id)}`, noContent),
    });
    if (confirmed) {
      notify(t('applications.deleted'));
      navigate('/applications');
    }
  };
  return (
    <div className="stack">
      {newSecret === null ? null : <SecretOnce secret={newSecret} onDone={() => setNewSecret(null)} />}
      <section className="card form-section">
        <h2>{t('applications.endpoints')}</h2>
        <CopyValue label="client_id" value={application.id} />
        <CopyValue label={t('applications.endpoints.issuer')} value={setup.publicUrl.replace(/\/+$/, '')} />
        <p className="muted">
          {t(`applications.type.${application.type}`)} ·{' '}
          {application.type === 'web' ? t('applications.secretStored') : t('applications.publicClient')}
        </p>
        {application.type === 'web' ? (
          <div className="form-actions">
            <Button onClick={rotate}>{t('applications.rotate')}</Button>
          </div>
        ) : null}
      </section>
      <TryLogin application={application} />
      <ApplicationForm existing={application} onSaved={reload} />
      <WebOriginsSection applicationId={application.id} />
      <div className="form-actions">
        <Button variant="danger" onClick={remove}>
          {t('applications.delete')}
        </Button>
      </div>
    </div>
  );
}

interface Attempt {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
  opened: boolean;
  /** Ends on weunion's result page: nothing to exchange by hand. */
  onWeunion: boolean;
}

/** The redirect choice "weunion's result page" (console/try-login.ts on the server). */
const WEUNION_RESULT = 'weunion:result';
const tryLoginSchema = z.object({ url: z.string(), redirectUri: z.string() });

function TryLogin({ application }: { application: Application }): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  // weunion's own result page works for web and single-page applications, whose code weunion can exchange.
  const resultPageOffered = application.type === 'web' || application.type === 'spa';
  const [redirectUri, setRedirectUri] = useState(resultPageOffered ? WEUNION_RESULT : (application.redirectUris[0] ?? ''));
  const [attempt, setAttempt] = useState<Attempt | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const open = async () => {
    setBusy(true);
    setError(null);
    try {
      if (redirectUri === WEUNION_RESULT) {
        // weunion keeps the state, nonce and verifier and shows the result itself.
        const started = await api.post('/console/api/try-login', tryLoginSchema, { applicationId: application.id });
        const tab = window.open(started.url, '_blank');
        if (tab !== null) tab.opener = null;
        setAttempt({ url: started.url, verifier: '', state: '', nonce: '', opened: tab !== null, onWeunion: true });
        return;
      }
      // The endpoint comes from discovery, not a guess: the provider decides its own paths.
      const discovery = await api.get('/.well-known/openid-configuration', discoverySchema);
      const verifier = randomToken();
      const state = randomToken();
      const nonce = randomToken();
      const challenge = await pkceChallenge(verifier);
      const url = new URL(discovery.authorization_endpoint, window.location.origin);
      url.searchParams.set('client_id', application.id);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('scope', 'openid profile');
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', nonce);
      if (challenge !== null) {
        url.searchParams.set('code_challenge', challenge);
        url.searchParams.set('code_challenge_method', 'S256');
      }
      const tab = window.open(url.href, '_blank');
      // The tab must not reach back into the console.
      if (tab !== null) tab.opener = null;
      setAttempt({ url: url.href, verifier: challenge === null ? '' : verifier, state, nonce, opened: tab !== null, onWeunion: false });
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card form-section">
      <h2>{t('applications.tryLogin')}</h2>
      <p className="field-hint">{t('applications.tryLogin.help')}</p>
      {application.redirectUris.length > 1 || resultPageOffered ? (
        <SelectField
          label={t('applications.tryLogin.redirect')}
          value={redirectUri}
          onChange={(event) => setRedirectUri(event.target.value)}
        >
          {resultPageOffered ? <option value={WEUNION_RESULT}>{t('applications.tryLogin.weunion')}</option> : null}
          {application.redirectUris.map((uri) => (
            <option key={uri} value={uri}>
              {uri}
            </option>
          ))}
        </SelectField>
      ) : (
        <p>
          {t('applications.tryLogin.redirect')}: <span className="mono">{redirectUri}</span>
        </p>
      )}
      <div className="form-actions">
        <Button variant="primary" onClick={open} busy={busy}>
          {t('applications.tryLogin')}
        </Button>
      </div>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {attempt ? (
        <div className="form-section" aria-live="polite">
          {attempt.onWeunion ? (
            <p>{attempt.opened ? t('applications.tryLogin.openedWeunion') : t('applications.tryLogin.blocked')}</p>
          ) : (
            <p>{attempt.opened ? t('applications.tryLogin.opened') : t('applications.tryLogin.blocked')}</p>
          )}
          <CopyValue label={t('applications.tryLogin.url')} value={attempt.url} />
          {attempt.onWeunion ? null : (
            <>
              {attempt.verifier === '' ? null : <CopyValue label={t('applications.tryLogin.verifier')} value={attempt.verifier} />}
              <CopyValue label={t('applications.tryLogin.state')} value={attempt.state} />
              <CopyValue label={t('applications.tryLogin.nonce')} value={attempt.nonce} />
            </>
          )}
        </div>
      ) : null}
    </section>
  );
}
