/**
 * `createWeunion` — weunion inside a mini program.
 *
 * - S5: `login()` (wx.login → `POST /api/mp/login`), `loginWithPhone(event)` from the
 *   getPhoneNumber button, `addPhone(event)` later; a pending `select`/`bind` is completed with
 *   `selectAccount` / `bindWithPassword` / `sendBindingCode` + `bindWithCode` / `createAccount`,
 *   or ended with `cancelPending` (`/api/app/pending/…`): every binding method weunion offers
 *   works from the mini program.
 * - S3/S7: `ticketFromLaunchOptions(options)`, then `scanQrLogin` (is a phone number wanted?),
 *   `confirmQrLogin` (S7: answers the `resultCode` for the launchApp button) or `cancelQrLogin`.
 * - Tokens live in `wx` storage per appid; `accessToken()` refreshes a minute before expiry
 *   (refresh tokens rotate: the new one is stored, and concurrent callers share one refresh, as a
 *   refresh token spent twice ends the session), `logout()` revokes.
 *
 * The session_key quirk: a `wx.login` rotates the session_key, so legacy `encryptedData` from the
 * phone button is only readable with a login code obtained *before* the button was tapped. Call
 * `prepareLogin()` when the page shows; the phone handlers then use that code instead of calling
 * `wx.login` after the fact. The current phone `code` does not depend on the session_key.
 */
import { type Fields, number, object, objects, optionalNumber, optionalString, string, strings } from './answers.ts';
import { WeunionError } from './errors.ts';
import { type Connection, requestJson } from './http.ts';
import { type ConfirmedTicket, parseConfirmed, parseScanned, type ScannedTicket } from './tickets.ts';
import { type IdClaims, idTokenClaims, parseTokenResponse, readStoredTokens, type TokenSet } from './tokens.ts';
import { type PhoneNumberEvent, type Wx, wxLogin } from './wx.ts';

/** The `wx` global of a mini program (absent in Node: pass `wx` to `createWeunion` there). */
declare const wx: Wx | undefined;

export interface WeunionOptions {
  /** weunion's public URL (must be on the mini program's request domain whitelist). */
  baseUrl: string;
  /** This mini program's appid (a weunion connection with scenario S5, S3 and/or S7). */
  appid: string;
  /** The `wx` API; defaults to the mini program's global `wx`. */
  wx?: Wx;
  /** Storage key prefix (default `weunion`). */
  storageKey?: string;
  /** Clock, ms (tests move it to see tokens expire). */
  now?: () => number;
}

export interface SignedIn {
  status: 'signed_in';
  userId: string;
  claims: IdClaims;
  /** Where the phone number came from: `wechat_code` | `encrypted_data` | `on_file` | `none` (S5 only). */
  phoneSource?: string;
}

/**
 * One account the person may choose: what lets its owner recognise it, masked (`138****0001`,
 * `a***@example.com`), never a full phone number or email.
 */
export interface AccountCandidate {
  userId: string;
  /** Why it matched: `unionid` (linked to this WeChat), `phone`, `email`. */
  via: string[];
  nickname?: string;
  picture?: string;
  maskedPhone?: string;
  maskedEmail?: string;
  /** Last sign-in, ms since the epoch. */
  lastLoginAt?: number;
  /** The app (its name at weunion) of the last WeChat sign-in. */
  lastLoginApp?: string;
}

/** Several accounts are this person's: show `candidates`, then `selectAccount(pendingId, userId)`. */
export interface SelectAccount {
  status: 'select';
  pendingId: string;
  candidates: AccountCandidate[];
}

/**
 * The person must prove an existing account by one of `methods` (`password` → `bindWithPassword`;
 * `sms` / `email` → `sendBindingCode` then `bindWithCode`), or `createAccount(pendingId)` when
 * `mayCreateInstead`; `cancelPending(pendingId)` when they give up.
 */
export interface BindAccount {
  status: 'bind';
  pendingId: string;
  methods: string[];
  mayCreateInstead: boolean;
}

export type LoginResult = SignedIn | SelectAccount | BindAccount;

/** A phone number weunion verified and (when nobody else has it) put on the account. */
export interface AddedPhone {
  phoneNumber: string;
  attached: boolean;
}

/** A prepared login code is used when younger than this (WeChat's codes live five minutes). */
const PREPARED_CODE_MS = 4 * 60_000;
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

function phoneEvidence(event: PhoneNumberEvent): { phoneCode: string } | { encryptedData: string; iv: string } {
  const detail = event.detail;
  const errMsg = detail.errMsg ?? '';
  if (/deny|fail|cancel/i.test(errMsg)) {
    throw new WeunionError('phone_denied', `The phone number was not shared (${errMsg})`);
  }
  if (typeof detail.code === 'string' && detail.code !== '') return { phoneCode: detail.code };
  if (typeof detail.encryptedData === 'string' && typeof detail.iv === 'string')
    return { encryptedData: detail.encryptedData, iv: detail.iv };
  throw new WeunionError('phone_denied', `The phone button gave no phone number${errMsg === '' ? '' : ` (${errMsg})`}`);
}

function parseCandidate(fields: Fields): AccountCandidate {
  const candidate: AccountCandidate = {
    userId: string(fields, 'userId', 'account candidate'),
    via: strings(fields, 'via', 'account candidate'),
  };
  for (const key of ['nickname', 'picture', 'maskedPhone', 'maskedEmail', 'lastLoginApp'] as const) {
    const value = optionalString(fields, key, 'account candidate');
    if (value !== undefined) candidate[key] = value;
  }
  const lastLoginAt = optionalNumber(fields, 'lastLoginAt', 'account candidate');
  if (lastLoginAt !== undefined) candidate.lastLoginAt = lastLoginAt;
  return candidate;
}

/** Where a binding code goes: the existing account's verified phone (E.164) or email. */
export interface BindingCodeTarget {
  channel: 'sms' | 'email';
  destination: string;
}

function globalWx(): Wx {
  if (typeof wx === 'undefined') throw new WeunionError('invalid_options', 'No wx API: run inside a mini program or pass `wx`');
  return wx;
}

export function createWeunion(options: WeunionOptions) {
  const api: Wx = options.wx ?? globalWx();
  const connection: Connection = { wx: api, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  const appid = options.appid;
  const now = options.now ?? Date.now;
  const storageKey = `${options.storageKey ?? 'weunion'}:${appid}:tokens`;
  let prepared: { code: string; at: number } | undefined;
  let refreshing: Promise<TokenSet> | undefined;

  const stored = (): TokenSet | null => readStoredTokens(api.getStorageSync(storageKey));
  const store = (tokens: TokenSet) => api.setStorageSync(storageKey, tokens);
  const forget = () => api.removeStorageSync(storageKey);

  /** The prepared login code while fresh, used once. */
  function takePrepared(): string | undefined {
    const ready = prepared;
    prepared = undefined;
    return ready !== undefined && now() - ready.at < PREPARED_CODE_MS ? ready.code : undefined;
  }

  /** A login code: the prepared one while fresh, otherwise a new `wx.login`. */
  async function loginCode(): Promise<string> {
    const ready = takePrepared();
    if (ready !== undefined) return ready;
    try {
      return await wxLogin(api);
    } catch (error) {
      throw new WeunionError('wx_login_failed', error instanceof Error ? error.message : 'wx.login failed');
    }
  }

  /** Tokens in, storage updated, the page's answer out. */
  function signedIn(fields: Fields): SignedIn {
    const tokens = parseTokenResponse(fields.tokens, now());
    const claims = idTokenClaims(tokens.idToken);
    const userId = string(fields, 'userId', 'login answer');
    store(tokens);
    const phoneSource = optionalString(fields, 'phoneSource', 'login answer');
    return { status: 'signed_in', userId, claims, ...(phoneSource === undefined ? {} : { phoneSource }) };
  }

  /** An app-login answer (`/api/mp/login`, `/api/app/pending/…`) as the page's result. */
  function loginResult(value: unknown): LoginResult {
    const fields = object(value, 'login answer');
    const outcome = string(fields, 'outcome', 'login answer');
    switch (outcome) {
      case 'signed_in':
        return signedIn(fields);
      case 'select':
        return {
          status: 'select',
          pendingId: string(fields, 'pendingId', 'login answer'),
          candidates: objects(fields, 'candidates', 'login answer').map(parseCandidate),
        };
      case 'bind':
        return {
          status: 'bind',
          pendingId: string(fields, 'pendingId', 'login answer'),
          methods: strings(fields, 'methods', 'login answer'),
          mayCreateInstead: fields.mayCreateInstead === true,
        };
      default:
        throw new WeunionError('invalid_response', `weunion answered an unknown login outcome ${outcome}`);
    }
  }

  async function refresh(tokens: TokenSet): Promise<TokenSet> {
    try {
      const answer = await requestJson(connection, 'POST', '/api/token/refresh', { body: { refresh_token: tokens.refreshToken } });
      const next = parseTokenResponse(answer, now());
      store(next);
      return next;
    } catch (error) {
      // A refresh token weunion refuses will never work again: the person must log in.
      if (error instanceof WeunionError && (error.code === 'token_invalid' || error.code === 'refresh_token_reused')) forget();
      throw error;
    }
  }

  const pendingPath = (pendingId: string, action: string) => `/api/app/pending/${encodeURIComponent(pendingId)}/${action}`;
  const ticketPath = (ticket: string, action: string) => `/api/mp/tickets/${encodeURIComponent(ticket)}/${action}`;

  const client = {
    appid,

    /** A `wx.login` now, kept for the next call (call when a page with a phone button shows). */
    async prepareLogin(): Promise<void> {
      try {
        prepared = { code: await wxLogin(api), at: now() };
      } catch (error) {
        throw new WeunionError('wx_login_failed', error instanceof Error ? error.message : 'wx.login failed');
      }
    },

    /** S5: sign in with `wx.login` alone (a connection that requires a phone answers `phone_required`). */
    async login(): Promise<LoginResult> {
      const code = await loginCode();
      return loginResult(await requestJson(connection, 'POST', '/api/mp/login', { body: { appid, code } }));
    },

    /**
     * S5 with the phone button's event (`bindgetphonenumber`). A refused button is `phone_denied`,
     * and weunion is not called: whether to sign in without a phone is the page's choice (`login()`).
     */
    async loginWithPhone(event: PhoneNumberEvent): Promise<LoginResult> {
      const evidence = phoneEvidence(event);
      const code = await loginCode();
      return loginResult(await requestJson(connection, 'POST', '/api/mp/login', { body: { appid, code, ...evidence } }));
    },

    /** Adds a verified phone number to the signed-in account (the phone button, later). */
    async addPhone(event: PhoneNumberEvent): Promise<AddedPhone> {
      const evidence = phoneEvidence(event);
      const bearer = await client.accessToken();
      // Legacy data is under the session_key of the code prepared before the tap: send that code
      // along. Without one, weunion uses the session_key of the last login it saw (a wx.login now
      // would rotate the key the data is under).
      const ready = 'encryptedData' in evidence ? takePrepared() : undefined;
      const answer = object(
        await requestJson(connection, 'POST', '/api/mp/phone', {
          bearer,
          body: { ...evidence, ...(ready === undefined ? {} : { code: ready }) },
        }),
        'phone answer',
      );
      return {
        phoneNumber: string(answer, 'phoneNumber', 'phone answer'),
        attached: answer.attached === true,
      };
    },

    /** Completes a `select` result with the account the person chose. */
    async selectAccount(pendingId: string, userId: string): Promise<LoginResult> {
      return loginResult(await requestJson(connection, 'POST', pendingPath(pendingId, 'select'), { body: { userId } }));
    },

    /** Completes a `bind` result with the existing account's phone (E.164) or email and password. */
    async bindWithPassword(pendingId: string, credentials: { login: string; password: string }): Promise<LoginResult> {
      return loginResult(await requestJson(connection, 'POST', pendingPath(pendingId, 'bind/password'), { body: credentials }));
    },

    /**
     * Sends a code to the existing account's phone (`sms`) or email, for `bindWithCode`. It is sent
     * (and answered) the same whether or not an account has that phone/email; `rate_limited` when
     * one was sent there moments ago, `binding_locked` after too many failed attempts.
     */
    async sendBindingCode(pendingId: string, target: BindingCodeTarget): Promise<{ expiresInMs: number }> {
      const answer = object(
        await requestJson(connection, 'POST', pendingPath(pendingId, 'bind/code/send'), { body: { ...target } }),
        'code answer',
      );
      return { expiresInMs: number(answer, 'expiresInMs', 'code answer') };
    },

    /**
     * Completes a `bind` result with the code sent by `sendBindingCode`. A wrong code is
     * `verification_failed` (`details.attemptsLeft`); too many failures, here or in earlier
     * sign-ins, `binding_locked` (`details.retryAfterSeconds`).
     */
    async bindWithCode(pendingId: string, answer: BindingCodeTarget & { code: string }): Promise<LoginResult> {
      return loginResult(await requestJson(connection, 'POST', pendingPath(pendingId, 'bind/code'), { body: { ...answer } }));
    },

    /** The person declined to choose or bind: the pending sign-in ends, nothing is linked or created. */
    async cancelPending(pendingId: string): Promise<void> {
      await requestJson(connection, 'POST', pendingPath(pendingId, 'cancel'), { body: {} });
    },

    /** Completes a `bind` result by creating a new account instead (when `mayCreateInstead`). */
    async createAccount(pendingId: string): Promise<LoginResult> {
      return loginResult(await requestJson(connection, 'POST', pendingPath(pendingId, 'create'), { body: {} }));
    },

    /** S3/S7: tells weunion this person opened the ticket; whether to show the phone button. */
    async scanQrLogin(ticket: string): Promise<ScannedTicket> {
      const code = await loginCode();
      return parseScanned(await requestJson(connection, 'POST', ticketPath(ticket, 'scan'), { body: { appid, code } }));
    },

    /**
     * S3/S7: confirms the login on the PC (S3) or in the app (S7), with the phone button's event
     * when the person shared one. S7 answers `resultCode` for the launchApp button.
     */
    async confirmQrLogin(ticket: string, phone?: PhoneNumberEvent): Promise<ConfirmedTicket> {
      const evidence = phone === undefined ? {} : phoneEvidence(phone);
      const code = await loginCode();
      return parseConfirmed(await requestJson(connection, 'POST', ticketPath(ticket, 'confirm'), { body: { appid, code, ...evidence } }));
    },

    /** S3/S7: the person said no; the PC page or the app hears `cancelled`. */
    async cancelQrLogin(ticket: string): Promise<void> {
      const code = await loginCode();
      await requestJson(connection, 'POST', ticketPath(ticket, 'cancel'), { body: { appid, code } });
    },

    /** Whether tokens are stored (they may still need a refresh). */
    isLoggedIn(): boolean {
      return stored() !== null;
    },

    /** The stored ID token's claims, or null when not signed in. */
    user(): IdClaims | null {
      const tokens = stored();
      return tokens === null ? null : idTokenClaims(tokens.idToken);
    },

    /** A valid access token, refreshed first when it expires within a minute; `not_logged_in` without tokens. */
    async accessToken(): Promise<string> {
      const tokens = stored();
      if (tokens === null) throw new WeunionError('not_logged_in', 'Not signed in: call login() first');
      if (tokens.expiresAt - now() > REFRESH_MARGIN_MS) return tokens.accessToken;
      refreshing ??= refresh(tokens).finally(() => {
        refreshing = undefined;
      });
      return (await refreshing).accessToken;
    },

    /** Ends the session at weunion (its refresh and access tokens) and forgets the tokens here. */
    async logout(): Promise<void> {
      const tokens = stored();
      forget();
      if (tokens === null) return;
      await requestJson(connection, 'POST', '/api/token/revoke', {
        body: { token: tokens.refreshToken, token_type_hint: 'refresh_token' },
      });
    },

    /** Seconds the stored access token has left (0 when none or expired). */
    expiresIn(): number {
      const tokens = stored();
      return tokens === null ? 0 : Math.max(0, Math.floor((tokens.expiresAt - now()) / 1000));
    },
  };
  return client;
}

export type Weunion = ReturnType<typeof createWeunion>;
