/**
 * WeChat's `state` parameter: at most 128 bytes of `[a-zA-Z0-9]` on the authorize pages. A longer
 * OIDC state must be stored server-side and replaced by a short handle before it gets here.
 */
import { AppError } from '@weunion/errors';

const STATE_PATTERN = /^[A-Za-z0-9]{1,128}$/;

export function assertWechatState(state: string): void {
  if (!STATE_PATTERN.test(state)) {
    throw new AppError('validation_failed', 'state must be 1 to 128 characters of [A-Za-z0-9]', { details: { field: 'state' } });
  }
}
