import type { Translate } from '../../i18n/index.ts';

/** How a person is called in the console: name, else nickname, else their id. */
export function personName(user: { id: string; name: string | null; nickname: string | null }): string {
  return user.name ?? user.nickname ?? user.id;
}

/** "2 WeChat identities, 1 phone number and 1 email", or null when nothing moves. */
export function movesSummary(
  t: Translate,
  language: string,
  moving: { identities: number; phones: number; emails: number },
): string | null {
  const parts = [
    moving.identities > 0 ? t('merge.identities', { count: moving.identities }) : null,
    moving.phones > 0 ? t('merge.phones', { count: moving.phones }) : null,
    moving.emails > 0 ? t('merge.emails', { count: moving.emails }) : null,
  ].filter((part): part is string => part !== null);
  if (parts.length === 0) return null;
  return new Intl.ListFormat(language, { type: 'conjunction' }).format(parts);
}
