/**
 * Email through SMTP with nodemailer. One connection per message (codes are rare; a pool would
 * keep idle connections to the relay for nothing). Failures are mapped to weunion's codes here:
 * the relay refusing our login, the address, or the message; a connection that cannot be opened;
 * and a timeout — after which nothing is sent again (the relay may have accepted the message).
 */
import { AppError } from '@weunion/errors';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  language: string;
}

export interface EmailProvider {
  name: 'smtp' | 'sandbox';
  send(message: EmailMessage): Promise<{ providerId: string | null }>;
}

export interface SmtpOptions {
  /** smtp://host:port (STARTTLS when offered) or smtps://host:port, with the user name in the URL. */
  url: string;
  password: string | undefined;
  from: string;
  timeoutMs: number;
  /** Accept the relay's self-signed certificate (tests on loopback only). */
  allowSelfSigned?: boolean;
}

function errorOf(error: unknown): { code?: string; responseCode?: number; command?: string; message: string } {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const record = error as { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown };
  return {
    ...(typeof record.code === 'string' ? { code: record.code } : {}),
    ...(typeof record.responseCode === 'number' ? { responseCode: record.responseCode } : {}),
    ...(typeof record.command === 'string' ? { command: record.command } : {}),
    message: typeof record.message === 'string' ? record.message : String(error),
  };
}

export function smtpError(error: unknown): AppError {
  const { code, responseCode, command, message } = errorOf(error);
  const details = { provider: 'smtp', providerCode: code ?? String(responseCode ?? '') };
  if (code === 'EAUTH')
    return new AppError('message_credentials_invalid', 'The SMTP relay refused our login: check SMTP_URL and SMTP_PASSWORD', {
      details,
      cause: error,
    });
  if (code === 'ETIMEDOUT')
    return new AppError('message_timeout', 'The SMTP relay did not answer in time; the email may still arrive, so it is not sent again', {
      details,
      cause: error,
    });
  // Failing to connect sent nothing; a socket lost later in the session may have delivered the mail.
  if (code === 'ECONNECTION' || code === 'EDNS' || code === 'ETLS' || (code === 'ESOCKET' && command === 'CONN'))
    return new AppError('message_unreachable', `The SMTP relay could not be reached (${code})`, { details, cause: error });
  if (code === 'ESOCKET')
    return new AppError(
      'message_timeout',
      'The connection to the SMTP relay broke off; the email may still arrive, so it is not sent again',
      {
        details,
        cause: error,
      },
    );
  if (code === 'EENVELOPE' || (responseCode !== undefined && responseCode >= 550 && responseCode <= 553))
    return new AppError('message_destination_invalid', 'The SMTP relay does not accept this address', { details, cause: error });
  if (responseCode === 421 || responseCode === 450 || responseCode === 451 || responseCode === 452)
    return new AppError('message_rate_limited', 'The SMTP relay asks to try again later', { details, cause: error });
  return new AppError('message_rejected', `The SMTP relay refused the email (${message.slice(0, 200)})`, { details, cause: error });
}

export function createSmtpEmail(options: SmtpOptions): EmailProvider {
  const url = new URL(options.url);
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  return {
    name: 'smtp',
    async send(message) {
      // Loaded with the first email (not at every start: most deployments send few, some none).
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport({
        host: url.hostname,
        port: Number(url.port || (secure ? 465 : 587)),
        secure,
        ...(user === '' ? {} : { auth: { user, pass: options.password ?? decodeURIComponent(url.password) } }),
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        ...(options.allowSelfSigned === true ? { tls: { rejectUnauthorized: false } } : {}),
      });
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'Content-Language': message.language },
        });
        return { providerId: typeof info.messageId === 'string' ? info.messageId : null };
      } catch (error) {
        throw smtpError(error);
      } finally {
        transport.close();
      }
    },
  };
}
