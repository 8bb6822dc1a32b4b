/**
 * The signed-in admin's own account: change the password; turn two-step sign-in (TOTP) on — the
 * QR code is shown as an image (the server's SVG as a data: URL, never put into the DOM as markup)
 * with the key for typing in by hand, and a code confirms it — or off, with password and code. Turning
 * it on shows ten recovery codes once; they can be made anew (password) and are counted as used.
 */
import { type ChangeEvent, type FormEvent, type ReactNode, useState } from 'react';
import { z } from 'zod';
import { api, noContent, sessionSchema } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import { useAdmin, useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { CopyButton } from '../../ui/copy-button.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { Field } from '../../ui/field.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { useLoad } from '../../ui/use-load.ts';
import '../../ui/setup-pages.css';

const MIN_PASSWORD_LENGTH = 10;
const totpSetupSchema = z.object({ secret: z.string(), otpauthUri: z.string(), qrSvg: z.string() });
type TotpSetup = z.infer<typeof totpSetupSchema>;
const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) });
const remainingSchema = z.object({ remaining: z.number() });

/** A required password input bound to a piece of state; `autoComplete` tells password managers which one it is. */
function passwordInput(autoComplete: 'current-password' | 'new-password', value: string, setValue: (value: string) => void) {
  return {
    type: 'password',
    autoComplete,
    value,
    onChange: (event: ChangeEvent<HTMLInputElement>) => setValue(event.target.value),
    required: true,
  } as const;
}

export function AccountPage(): ReactNode {
  const t = useT();
  const session = useAdmin();
  return (
    <Page title={t('account.title')} description={t('account.signedInAs', { name: session.admin.displayName ?? session.admin.username })}>
      <div className="grid-2">
        <PasswordCard />
        <TotpCard />
      </div>
    </Page>
  );
}

function PasswordCard(): ReactNode {
  const t = useT();
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const tooShort = next.length < MIN_PASSWORD_LENGTH;
  const mismatch = next !== repeat;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    setError(null);
    if (tooShort || mismatch || current === '') return;
    setBusy(true);
    try {
      await api.post('/console/api/account/password', noContent, { currentPassword: current, newPassword: next });
      notify(t('account.passwordChanged'));
      setCurrent('');
      setNext('');
      setRepeat('');
      setTried(false);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card">
      <h2>{t('account.password')}</h2>
      <form className="form" onSubmit={submit} noValidate>
        <input type="text" name="username" autoComplete="username" value={useAdmin().admin.username} readOnly hidden />
        <Field label={t('account.currentPassword')} {...passwordInput('current-password', current, setCurrent)} />
        <Field
          label={t('account.newPassword')}
          hint={t('account.newPassword.help')}
          {...passwordInput('new-password', next, setNext)}
          error={tried && tooShort ? t('account.passwordTooShort') : null}
        />
        <Field
          label={t('account.repeatPassword')}
          {...passwordInput('new-password', repeat, setRepeat)}
          error={tried && mismatch ? t('account.passwordMismatch') : null}
        />
        {error ? <Notice kind="error">{error}</Notice> : null}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={busy}>
            {t('account.changePassword')}
          </Button>
        </div>
      </form>
    </section>
  );
}

function TotpCard(): ReactNode {
  const t = useT();
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const { signedIn } = useSession();
  const session = useAdmin();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const enabled = session.admin.totpEnabled;
  /** The authenticator code, asked for when turning TOTP on and again when turning it off. */
  const codeInput = {
    label: t('account.totp.code'),
    value: code,
    onChange: (event: ChangeEvent<HTMLInputElement>) => setCode(event.target.value),
    inputMode: 'numeric',
    autoComplete: 'one-time-code',
    maxLength: 8,
    required: true,
  } as const;

  /** The session says whether TOTP is on: read it again after a change. */
  const refreshSession = async () => signedIn(await api.get('/console/api/session', sessionSchema));

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  const start = () =>
    act(async () => {
      setSetup(await api.post('/console/api/account/totp/setup', totpSetupSchema));
      setCode('');
    });
  const confirmCode = (event: FormEvent) => {
    event.preventDefault();
    return act(async () => {
      const answer = await api.post('/console/api/account/totp/enable', recoveryCodesSchema, { code: code.trim() });
      setRecoveryCodes(answer.recoveryCodes);
      setSetup(null);
      setCode('');
      notify(t('account.totp.enabled'));
      await refreshSession();
    });
  };
  const disable = (event: FormEvent) => {
    event.preventDefault();
    return act(async () => {
      await api.post('/console/api/account/totp/disable', noContent, { password, code: code.trim() });
      setPassword('');
      setCode('');
      notify(t('account.totp.disabled'));
      await refreshSession();
    });
  };

  return (
    <section className="card form-section">
      <h2>{t('account.totp')}</h2>
      <p>{enabled ? t('account.totp.on') : t('account.totp.off')}</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!enabled && setup === null ? (
        <div className="form-actions">
          <Button variant="primary" onClick={start} busy={busy}>
            {t('account.totp.enable')}
          </Button>
        </div>
      ) : null}
      {!enabled && setup !== null ? (
        <form className="form" onSubmit={confirmCode} noValidate>
          <p>{t('account.totp.scan')}</p>
          <img
            className="totp-qr"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qrSvg)}`}
            alt={t('account.totp.qrAlt')}
          />
          <p className="field-hint">{t('account.totp.manual')}</p>
          <p className="mono">{setup.secret.replace(/(.{4})/g, '$1 ').trim()}</p>
          <Field {...codeInput} hint={t('account.totp.code.help')} pattern="[0-9]*" />
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={busy}>
              {t('account.totp.confirm')}
            </Button>
            <Button onClick={() => setSetup(null)}>{t('common.cancel')}</Button>
          </div>
        </form>
      ) : null}
      {recoveryCodes !== null ? <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} /> : null}
      {enabled && recoveryCodes === null ? <RegenerateRecoveryCodes onCodes={setRecoveryCodes} /> : null}
      {enabled ? (
        <form className="form" onSubmit={disable} noValidate>
          <p className="field-hint">{t('account.totp.disableHelp')}</p>
          <Field label={t('account.password.field')} {...passwordInput('current-password', password, setPassword)} />
          <Field {...codeInput} />
          <div className="form-actions">
            <Button type="submit" variant="danger" busy={busy}>
              {t('account.totp.disable')}
            </Button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

/** New recovery codes, shown once, until the admin says they are saved. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }): ReactNode {
  const t = useT();
  return (
    <div className="form-section recovery-codes" aria-live="polite">
      <h3>{t('account.recovery')}</h3>
      <Notice kind="info">{t('account.recovery.new')}</Notice>
      <ul className="mono recovery-code-list" aria-label={t('account.recovery.list')}>
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="form-actions">
        <CopyButton value={codes.join('\n')} />
        <Button variant="primary" onClick={onDone}>
          {t('account.recovery.saved')}
        </Button>
      </div>
    </div>
  );
}

function RegenerateRecoveryCodes({ onCodes }: { onCodes: (codes: string[]) => void }): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  const remaining = useLoad(() => api.get('/console/api/account/totp/recovery-codes', remainingSchema), []);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post('/console/api/account/totp/recovery-codes', recoveryCodesSchema, { password });
      setPassword('');
      onCodes(answer.recoveryCodes);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form form-section" onSubmit={submit} noValidate>
      <h3>{t('account.recovery')}</h3>
      {remaining.data ? <p>{t('account.recovery.left', { count: remaining.data.remaining })}</p> : null}
      <p className="field-hint">{t('account.recovery.regenerateHelp')}</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <Field label={t('account.password.field')} {...passwordInput('current-password', password, setPassword)} />
      <div className="form-actions">
        <Button type="submit" busy={busy}>
          {t('account.recovery.regenerate')}
        </Button>
      </div>
    </form>
  );
}
