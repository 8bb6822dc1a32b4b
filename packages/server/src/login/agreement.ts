/**
 * The agreement rule: an application may require the person to agree to its user agreement and
 * privacy policy (《用户协议》《隐私政策》) before any login code is issued for it. The hosted page's
 * checkbox sends `agreed`; every route that issues a QR, a link or a WeChat redirect for such an
 * application checks it here, so a page that skips the checkbox (or a script that calls the API
 * directly) gets no code either.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import type { Application } from '../oidc/applications.ts';

/** `agreed` in a query string: `1` or `true`. */
export const agreedQuery = z.enum(['1', 'true']).optional();

export function checkAgreement(application: Pick<Application, 'id' | 'branding'> | null | undefined, agreed: boolean): void {
  if (application?.branding.requireAgreement !== true || agreed) return;
  throw new AppError(
    'agreement_required',
    `Application ${application.id} requires agreeing to its user agreement and privacy policy first (send agreed)`,
  );
}
