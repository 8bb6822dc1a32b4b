/**
 * What every server module reaches through `app.ctx`, and the Fastify type augmentation that puts
 * it there. A leaf module: it imports only types, so the modules that need the context do not
 * import the composition root (`buildApp` in app.ts), which imports them all.
 */
import type { SharedState } from '@weunion/state';
import type { WechatClient } from '@weunion/wechat';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/index.ts';
import type { MessageSenders } from '../messaging/code-sender.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { SigningKeys } from '../signing/signing-keys.ts';
import type { Database } from '../storage/index.ts';
import type { QrTickets } from '../tickets/qr-ticket.ts';

export interface AppContext {
  config: Config;
  database: Database;
  state: SharedState;
  /** Seals and opens secrets at rest (connection secrets) with the master key. */
  secrets: SecretBox;
  /** The WeChat client every scenario uses (its access-token cache lives in `state`). */
  wechat: WechatClient;
  /** Whether the built-in WeChat sandbox is mounted at /sandbox. */
  sandbox: boolean;
  /** The instance's logger, for notices raised below the HTTP layer (set by `buildApp`). */
  log?: FastifyBaseLogger;
}

/**
 * What `buildApp` needs. Without `secrets`, the configured master key is loaded on first use;
 * without `wechat`, a client for the configured WECHAT_*_URL endpoints is made.
 */
export type AppContextInput = Omit<AppContext, 'secrets' | 'wechat' | 'sandbox' | 'log'> & {
  secrets?: SecretBox;
  wechat?: WechatClient;
  sandbox?: boolean;
};

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
    /** Login QR tickets (S1, S3, S7), kept in shared state. */
    tickets: QrTickets;
    /** The keys every token is signed with (OIDC and app logins); made on first use, `ensure()`d before signing. */
    signingKeys: SigningKeys;
    /** Delivers verification codes by SMS and email (messaging/code-sender.ts). */
    messages: MessageSenders;
  }
}
