/** Audit actions, login failure reasons and scenarios in the reader's words (i18n/words.ts), the code where none is known. */
import { hasMessage, type Translate } from '../../i18n/index.ts';

export function describeAction(t: Translate, action: string): string {
  const key = `action.${action}`;
  return hasMessage(key) ? t(key) : action;
}

/** `code` or `code:reason` (e.g. `login_refused:account_blocked` → "Login refused: the person is blocked"). */
export function describeReason(t: Translate, reason: string): string {
  const [code = '', detail] = reason.split(':', 2);
  const codeKey = `reason.${code}`;
  const base = hasMessage(codeKey) ? t(codeKey) : code;
  if (detail === undefined) return base;
  const detailKey = `refusal.${detail}`;
  return t('reason.because', { base, why: hasMessage(detailKey) ? t(detailKey) : detail });
}

export function describeScenario(t: Translate, scenario: string): string {
  const key = `scenario.${scenario}`;
  return hasMessage(key) ? t(key) : scenario;
}
