/**
 * Username and password; when the server answers `totp_required` the code field appears and the
 * next submit sends all three. While no admin exists the page says how to create one.
 */
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, api, sessionSchema } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { CopyButton } from '../../ui/copy-button.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { Field } from '../../ui/field.tsx';
import { LanguageSwitch } from '../../ui/language-switch.tsx';
import { Notice } from '../../ui/notice.tsx';
import { WrongOriginNotice } from '../../ui/wrong-origin.tsx';

const CREATE_ADMIN = 'npm run weunion -- admins create <username>';

export function SignInPage(): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  const { setup, signedIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Sign-in carries no CSRF token, so `csrf_failed` here can only mean the Origin check refused it.
  const [originRefused, setOriginRefused] = useState(false);
  const totpRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = t('signIn.title');
  }, [t]);
  useEffect(() => {
    if (askTotp) totpRef.current?.focus();
  }, [askTotp]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setOriginRefused(false);
    try {
      const session = await api.post('/console/api/login', sessionSchema, { username, password, ...(askTotp ? { totp } : {}) });
      signedIn(session);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'totp_required') {
        setAskTotp(true);
      } else if (caught instanceof ApiError && caught.code === 'csrf_failed') {
        setOriginRefused(true);
      } else {
        setError(errorMessage(caught));
        if (caught instanceof ApiError && caught.code === 'console_login_failed') setPassword('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <div className="sign-in-top">
          <span className="brand">weunion</span>
          <LanguageSwitch />
        </div>
        <h1>{t('signIn.title')}</h1>
        {originRefused ? null : <WrongOriginNotice />}
        {setup.needsAdmin ? (
          <Notice kind="info">
            <p>{t('signIn.needsAdmin')}</p>
            <p className="command">
              <code>{CREATE_ADMIN}</code> <CopyButton value={CREATE_ADMIN} />
            </p>
          </Notice>
        ) : null}
        <form onSubmit={submit} className="form" noValidate>
          <Field
            label={t('signIn.username')}
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <Field
            label={t('signIn.password')}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {askTotp ? (
            <Field
              ref={totpRef}
              label={t('signIn.totp')}
              hint={t('signIn.totpHint')}
              name="totp"
              autoComplete="one-time-code"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={16}
              value={totp}
              onChange={(e) => setTotp(e.target.value.replace(/[^0-9A-Za-z-]/g, ''))}
            />
          ) : null}
          {error ? <Notice kind="error">{error}</Notice> : null}
          {originRefused ? <WrongOriginNotice refused /> : null}
          <Button type="submit" variant="primary" busy={busy}>
            {t('signIn.submit')}
          </Button>
        </form>
      </div>
    </main>
  );
}
