/**
 * One HTTP call to a message provider, with the three kinds of failure kept apart (as Arctic does):
 * the provider said no (its own error code, mapped by the caller), the network failed before an
 * answer, or no answer came in time. A timeout is never retried here or anywhere: the provider may
 * have sent the message, and a second attempt could send it twice (and bill twice).
 */
import { AppError } from '@weunion/errors';

/** Failures before any byte of the request left: nothing can have been sent. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_INVALID_URL',
]);

function causeCode(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
  // fetch refuses some ports (the "bad ports" of the Fetch standard) before connecting.
  return cause instanceof Error && cause.message === 'bad port' ? 'ERR_BAD_PORT' : '';
}

export interface ProviderResponse {
  status: number;
  body: unknown;
}

export async function callProvider(
  provider: string,
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<ProviderResponse> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new AppError(
        'message_timeout',
        `${provider} did not answer within ${timeoutMs} ms; the message may still arrive, so it is not sent again — wait a minute before asking for another code`,
        { details: { provider } },
      );
    }
    // Only a connection that never opened proves nothing was sent; a connection that broke off
    // after the request went out may have sent the message, like a timeout.
    if (NEVER_CONNECTED.has(causeCode(error)))
      throw new AppError('message_unreachable', `${provider} could not be reached`, { details: { provider }, cause: error });
    throw new AppError(
      'message_timeout',
      `The connection to ${provider} broke off; the message may still arrive, so it is not sent again`,
      {
        details: { provider },
        cause: error,
      },
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    // The request reached the provider: like a timeout, it may have been sent.
    throw new AppError('message_timeout', `${provider}'s answer broke off; the message may still arrive`, {
      details: { provider },
      cause: error,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError('message_rejected', `${provider} answered HTTP ${response.status} with something that is not JSON`, {
      details: { provider },
    });
  }
  return { status: response.status, body };
}
