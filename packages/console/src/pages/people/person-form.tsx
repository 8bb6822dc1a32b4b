/**
 * Creating a person and editing one's profile: name, nickname, gender, locale, and the phone and
 * email with whether they are verified. A verified phone or email names one person: one already
 * held by someone else is refused by the server (`identity_conflict`), and the dialog says who
 * holds it, with a link — it is never moved; merging the two is how it changes hands.
 * Setting or resetting a password is its own dialog (`PasswordDialog`).
 */
import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiError, api } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import { Link } from '../../router.tsx';
import { type UserDetail, userDetailSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { CheckboxField, Field } from '../../ui/field.tsx';
import { Notice } from '../../ui/notice.tsx';

interface Draft {
  name: string;
  nickname: string;
  gender: string;
  locale: string;
  phoneNumber: string;
  phoneNumberVerified: boolean;
  email: string;
  emailVerified: boolean;
  password: string;
}

function draftOf(user: UserDetail | undefined): Draft {
  return {
    name: user?.name ?? '',
    nickname: user?.nickname ?? '',
    gender: user?.gender ?? '',
    locale: user?.locale ?? '',
    phoneNumber: user?.phoneNumber ?? '',
    phoneNumberVerified: user?.phoneNumberVerified ?? false,
    email: user?.email ?? '',
    emailVerified: user?.emailVerified ?? false,
    password: '',
  };
}

/** The body to send: for an edit only what changed (null clears), for a creation what is filled in. */
function bodyOf(draft: Draft, user: UserDetail | undefined): Record<string, unknown> {
  const before = draftOf(user);
  const body: Record<string, unknown> = {};
  for (const key of ['name', 'nickname', 'gender', 'locale', 'phoneNumber', 'email'] as const) {
    const value = draft[key].trim();
    if (user === undefined ? value !== '' : value !== before[key]) body[key] = value === '' ? null : value;
  }
  if (
    draft.phoneNumber.trim() !== '' &&
    (user === undefined || draft.phoneNumberVerified !== before.phoneNumberVerified || 'phoneNumber' in body)
  ) {
    body.phoneNumberVerified = draft.phoneNumberVerified;
  }
  if (draft.email.trim() !== '' && (user === undefined || draft.emailVerified !== before.emailVerified || 'email' in body)) {
    body.emailVerified = draft.emailVerified;
  }
  if (user === undefined && draft.password !== '') body.password = draft.password;
  return body;
}

/** `usr_…` named in an `identity_conflict` problem's detail: who holds the phone or email. */
const holderOf = (error: ApiError) => /usr_[0-9a-f]+/.exec(error.detail ?? '')?.[0] ?? null;

export function PersonFormDialog({
  user,
  onClose,
  onSaved,
}: {
  /** The person to edit; none to create one. */
  user?: UserDetail;
  onClose: () => void;
  onSaved: (user: UserDetail) => void;
}): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  const [draft, setDraft] = useState<Draft>(() => draftOf(user));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ReactNode>(null);
  const text = (key: keyof Draft) => ({
    value: String(draft[key]),
    onChange: (event: { target: { value: string } }) => setDraft((current) => ({ ...current, [key]: event.target.value })),
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = bodyOf(draft, user);
      const saved =
        user === undefined
          ? await api.post('/api/v1/users', userDetailSchema, body)
          : await api.patch(`/api/v1/users/${encodeURIComponent(user.id)}`, userDetailSchema, body);
      onSaved(saved);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'identity_conflict') {
        const holder = holderOf(caught);
        setError(
          <>
            {t('person.edit.conflict')}{' '}
            {holder ? <Link to={`/people/${encodeURIComponent(holder)}`}>{t('person.edit.conflictHolder', { id: holder })}</Link> : null}
          </>,
        );
      } else setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  const formId = user === undefined ? 'person-create' : 'person-edit';
  return (
    <Dialog
      title={user === undefined ? t('people.add') : t('person.edit.title')}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="submit" form={formId} variant="primary" busy={busy}>
            {user === undefined ? t('people.create') : t('common.save')}
          </Button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} noValidate>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <Field label={t('person.field.name')} autoComplete="off" {...text('name')} data-autofocus />
        <Field label={t('person.field.nickname')} autoComplete="off" {...text('nickname')} />
        <Field
          label={t('person.field.phoneNumber')}
          hint={t('person.edit.phoneHint')}
          type="tel"
          autoComplete="off"
          {...text('phoneNumber')}
        />
        <CheckboxField
          label={t('person.edit.phoneVerified')}
          hint={t('person.edit.verifiedHint')}
          checked={draft.phoneNumberVerified}
          onChange={(checked) => setDraft((current) => ({ ...current, phoneNumberVerified: checked }))}
        />
        <Field label={t('person.field.email')} type="email" autoComplete="off" {...text('email')} />
        <CheckboxField
          label={t('person.edit.emailVerified')}
          hint={t('person.edit.verifiedHint')}
          checked={draft.emailVerified}
          onChange={(checked) => setDraft((current) => ({ ...current, emailVerified: checked }))}
        />
        <Field label={t('person.field.gender')} autoComplete="off" {...text('gender')} />
        <Field label={t('person.field.locale')} hint={t('person.edit.localeHint')} autoComplete="off" {...text('locale')} />
        {user === undefined ? (
          <Field
            label={t('person.password.field')}
            hint={t('person.password.hint')}
            type="password"
            autoComplete="new-password"
            {...text('password')}
          />
        ) : null}
      </form>
    </Dialog>
  );
}

/** Sets (or resets) a person's password, or removes it. */
export function PasswordDialog({
  user,
  onClose,
  onSaved,
}: {
  user: UserDetail;
  onClose: () => void;
  onSaved: (message: string) => void;
}): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const path = `/api/v1/users/${encodeURIComponent(user.id)}/password`;
  const run = async (action: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      onSaved(message);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password.length < 8) {
      setError(t('person.password.tooShort'));
      return;
    }
    return run(
      () => api.post(path, userDetailSchema, { password }),
      t(user.hasPassword ? 'person.password.resetDone' : 'person.password.setDone'),
    );
  };
  return (
    <Dialog
      title={t(user.hasPassword ? 'person.password.reset' : 'person.password.set')}
      onClose={onClose}
      footer={
        <>
          {user.hasPassword ? (
            <Button
              variant="danger"
              busy={busy}
              onClick={() => run(() => api.delete(path, userDetailSchema), t('person.password.removed'))}
            >
              {t('person.password.remove')}
            </Button>
          ) : null}
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="submit" form="person-password" variant="primary" busy={busy}>
            {t('common.save')}
          </Button>
        </>
      }
    >
      <form id="person-password" className="form" onSubmit={submit} noValidate>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <Field
          label={t('person.password.field')}
          hint={t('person.password.hint')}
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          data-autofocus
        />
      </form>
    </Dialog>
  );
}
