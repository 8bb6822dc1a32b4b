/**
 * The virtual world one sandbox serves: Open Platform accounts, apps, people and everything
 * short-lived they create (codes, tokens, QR tickets, follows). One instance per sandbox; the
 * protocol modules (`oauth.ts`, `app-tokens.ts`, …) read and change it, the routes only translate.
 */
import { AppError } from '@weunion/errors';
import type { WechatAppType } from '@weunion/wechat';
import { SandboxClock } from './clock.ts';
import { DEMO_APPS, DEMO_OPEN_PLATFORM, DEMO_PEOPLE } from './demo-world.ts';
import { FaultBook } from './faults.ts';
import {
  deriveOpenid,
  deriveSnapshotOpenid,
  deriveSnapshotUnionid,
  deriveUnionid,
  newAppid,
  newEncodingAesKey,
  randomAlphanumeric,
  randomHex,
} from './ids.ts';
import { MessageBox } from './messages.ts';
import type { PushLogEntry } from './push-log.ts';
import { CallStats } from './stats.ts';

/** WeChat's lifetimes, in seconds. */
export const LIFETIMES = {
  websiteCode: 10 * 60,
  mobileAppCode: 10 * 60,
  officialAccountCode: 5 * 60,
  jsCode: 5 * 60,
  phoneCode: 5 * 60,
  accessToken: 7200,
  /** JS-SDK tickets (cgi-bin/ticket/getticket). */
  jsTicket: 7200,
  refreshToken: 30 * 24 * 3600,
  /** The old app access_token keeps working this long after a new one is fetched. */
  tokenOverlap: 5 * 60,
  /** A qrconnect QR stays scannable this long (the page then asks to reload). */
  qrconnectSession: 5 * 60,
  /** Temporary parametric QR codes: default and maximum `expire_seconds`. */
  qrDefault: 60,
  qrMax: 2_592_000,
} as const;

export interface OpenPlatform {
  id: string;
  name: string;
}

export interface SandboxApp {
  appid: string;
  secret: string;
  type: WechatAppType;
  name: string;
  openPlatformId: string | null;
  /** Official accounts and mini programs: where events are pushed. */
  callbackUrl: string | null;
  token: string | null;
  encodingAesKey: string | null;
  /** Push encrypted (`encrypt_type=aes`) instead of plain XML. */
  safeMode: boolean;
  /** How pushes are written: official accounts always XML; mini programs choose XML or JSON (数据格式). */
  dataFormat: 'xml' | 'json';
  originalId: string | null;
  /** Mini programs: pages that exist in the released version (checked by getwxacodeunlimit). */
  pages: string[];
  /**
   * WeChat's "授权回调域" (and, for official accounts, the JS-SDK "JS接口安全域名"): OAuth
   * redirect_uri hosts must be one of these; an app without any refuses every redirect.
   */
  redirectDomains: string[];
}

export interface Person {
  id: string;
  name: string;
  nickname: string;
  /** E.164, or null when no phone is bound. */
  phone: string | null;
  avatarUrl: string | null;
  /** Appears as WeChat's snapshot-page user (`is_snapshotuser: 1`) in official-account web auth. */
  snapshot: boolean;
}

export interface Identity {
  appid: string;
  type: WechatAppType;
  openid: string;
  unionid: string | null;
}

export type OAuthScope = 'snsapi_login' | 'snsapi_base' | 'snsapi_userinfo';

export interface OAuthCode {
  appid: string;
  personId: string;
  scope: OAuthScope;
  snapshot: boolean;
  expiresAt: number;
  used: boolean;
}

export interface UserGrant {
  appid: string;
  personId: string;
  scope: OAuthScope;
  snapshot: boolean;
  expiresAt: number;
}

export interface AppToken {
  appid: string;
  kind: 'token' | 'stable';
  expiresAt: number;
  /** Set by fault injection: the token is refused with this errcode from then on. */
  revoked: 'expired' | 'invalid' | null;
  /** A newer token of the same kind was issued: past its end it is refused as not latest (40001). */
  replaced: boolean;
}

export interface OneTimeCode {
  appid: string;
  personId: string;
  expiresAt: number;
  used: boolean;
}

export interface QrTicket {
  ticket: string;
  /** The path segment of the QR content (`…/q/<code>`). */
  code: string;
  appid: string;
  actionName: 'QR_SCENE' | 'QR_STR_SCENE' | 'QR_LIMIT_SCENE' | 'QR_LIMIT_STR_SCENE';
  /** The scene as the events carry it: the scene_id as text, or the scene_str. */
  scene: string;
  expiresAt: number | null;
}

/** A URL Scheme or URL Link (wxa/generatescheme, wxa/generate_urllink). */
export interface MiniProgramLink {
  code: string;
  kind: 'scheme' | 'url_link';
  appid: string;
  /** The page it opens (the home page when none was given). */
  path: string;
  query: string;
  envVersion: 'release' | 'trial' | 'develop';
  expiresAt: number;
}

/** A JS-SDK ticket (cgi-bin/ticket/getticket): one current ticket per app and type. */
export interface JsTicket {
  ticket: string;
  appid: string;
  type: 'jsapi' | 'wx_card';
  expiresAt: number;
}

export interface Follow {
  subscribeTime: number;
  subscribeScene: string;
  qrScene: number;
  qrSceneStr: string;
}

export interface QrconnectSession {
  uuid: string;
  appid: string;
  redirectUri: string;
  state: string;
  status: 'waiting' | 'scanned' | 'confirmed' | 'denied';
  personId: string | null;
  code: string | null;
  expiresAt: number;
}

export interface NewApp {
  type: WechatAppType;
  name?: string | undefined;
  appid?: string | undefined;
  secret?: string | undefined;
  openPlatformId?: string | null | undefined;
  callbackUrl?: string | null | undefined;
  token?: string | undefined;
  encodingAesKey?: string | undefined;
  safeMode?: boolean | undefined;
  dataFormat?: 'xml' | 'json' | undefined;
  originalId?: string | undefined;
  pages?: string[] | undefined;
  redirectDomains?: string[] | undefined;
}

export interface NewPerson {
  id?: string | undefined;
  name?: string | undefined;
  nickname?: string | undefined;
  phone?: string | null | undefined;
  avatarUrl?: string | null | undefined;
  snapshot?: boolean | undefined;
}

export interface WorldOptions {
  seedDemoWorld: boolean;
  /** Demo official account and mini program push to `${callbackBaseUrl}/wechat/callback/${appid}`. */
  callbackBaseUrl?: string | undefined;
  /** The authorized redirect (and JS-SDK) domains the demo apps are seeded with. */
  demoRedirectDomains: string[];
  /** URL Schemes + URL Links one mini program may generate a day (WeChat: 500,000); tests set fewer. */
  miniProgramLinksPerDay?: number | undefined;
}

const DEFAULT_PAGES = ['pages/index/index', 'pages/login/login'];

export class World {
  readonly clock = new SandboxClock();
  readonly faults = new FaultBook();
  readonly stats = new CallStats();
  /** SMS inboxes and the email outbox (messages.ts). */
  readonly messages = new MessageBox();
  readonly options: WorldOptions;

  readonly openPlatforms = new Map<string, OpenPlatform>();
  readonly apps = new Map<string, SandboxApp>();
  readonly people = new Map<string, Person>();

  readonly oauthCodes = new Map<string, OAuthCode>();
  readonly userAccessTokens = new Map<string, UserGrant>();
  readonly refreshTokens = new Map<string, UserGrant>();
  readonly appTokens = new Map<string, AppToken>();
  /** appid → the latest token of each kind (older ones only live out their overlap). */
  readonly latestAppToken = new Map<string, { token?: string; stable?: string }>();
  /** appid → when `force_refresh` stable tokens were issued today (epoch ms; 20 a day, 30 s apart). */
  readonly forceRefreshes = new Map<string, number[]>();
  readonly jsCodes = new Map<string, OneTimeCode & { sessionKey: string }>();
  /** `${appid}\0${personId}` → the current session_key (a new wx.login rotates it). */
  readonly sessionKeys = new Map<string, string>();
  readonly phoneCodes = new Map<string, OneTimeCode>();
  /** `${appid}\0${personId}` → the person's key/value data kept by WeChat (set_user_storage). */
  readonly userStorage = new Map<string, Map<string, string>>();
  readonly qrTickets = new Map<string, QrTicket>();
  readonly qrTicketsByCode = new Map<string, QrTicket>();
  /** code → URL Scheme / URL Link. */
  readonly miniProgramLinks = new Map<string, MiniProgramLink>();
  /** Links generated per mini program today (`appid` → day number and count), for the daily cap. */
  readonly miniProgramLinkCounts = new Map<string, { day: number; count: number }>();
  /** `${appid}\0${type}` → the current JS-SDK ticket. */
  readonly jsTickets = new Map<string, JsTicket>();
  /** appid → personId → follow. */
  readonly follows = new Map<string, Map<string, Follow>>();
  readonly qrconnectSessions = new Map<string, QrconnectSession>();
  /** `${appid}\0${personId}`: the person already allowed snsapi_userinfo for this official account. */
  readonly userinfoConsents = new Set<string>();
  /** jscode2session calls per `${appid}\0${personId}\0${minute}` (WeChat: 100 per minute per user). */
  readonly jsLoginsPerMinute = new Map<string, number>();
  readonly pushLog: PushLogEntry[] = [];

  constructor(options: WorldOptions) {
    this.options = options;
    if (options.seedDemoWorld) this.seedDemo();
  }

  /** Forget everything (and the clock offset); seed the demo world again if configured. */
  reset(): void {
    for (const value of Object.values(this)) {
      if (value instanceof Map || value instanceof Set) value.clear();
    }
    this.pushLog.length = 0;
    this.clock.reset();
    this.faults.clear();
    this.stats.clear();
    this.messages.clear();
    if (this.options.seedDemoWorld) this.seedDemo();
  }

  seedDemo(): void {
    this.createOpenPlatform(DEMO_OPEN_PLATFORM.name, DEMO_OPEN_PLATFORM.id);
    for (const demo of DEMO_APPS) {
      const pushes = demo.type === 'official_account' || demo.type === 'mini_program';
      this.createApp({
        type: demo.type,
        name: demo.name,
        appid: demo.appid,
        secret: demo.secret,
        openPlatformId: demo.openPlatformId,
        token: demo.token,
        encodingAesKey: demo.encodingAesKey,
        originalId: demo.originalId,
        redirectDomains: [...this.options.demoRedirectDomains],
        callbackUrl:
          pushes && this.options.callbackBaseUrl !== undefined
            ? `${this.options.callbackBaseUrl.replace(/\/+$/, '')}/wechat/callback/${demo.appid}`
            : null,
      });
    }
    for (const person of DEMO_PEOPLE) this.createPerson(person);
  }

  createOpenPlatform(name: string, id = `op_${randomHex(6)}`): OpenPlatform {
    if (this.openPlatforms.has(id)) throw new AppError('conflict', `Open Platform account ${id} already exists`);
    const platform = { id, name };
    this.openPlatforms.set(id, platform);
    return platform;
  }

  createApp(input: NewApp): SandboxApp {
    const appid = input.appid ?? newAppid();
    if (this.apps.has(appid)) throw new AppError('conflict', `App ${appid} already exists`);
    const openPlatformId = input.openPlatformId ?? null;
    if (openPlatformId !== null) this.requireOpenPlatform(openPlatformId);
    const pushes = input.type === 'official_account' || input.type === 'mini_program';
    const app: SandboxApp = {
      appid,
      secret: input.secret ?? randomHex(16),
      type: input.type,
      name: input.name ?? `Sandbox ${input.type.replace('_', ' ')} ${appid.slice(-4)}`,
      openPlatformId,
      callbackUrl: input.callbackUrl ?? null,
      token: input.token ?? (pushes ? randomAlphanumeric(16) : null),
      encodingAesKey: input.encodingAesKey ?? (pushes ? newEncodingAesKey() : null),
      // Safe mode unless told otherwise: WeChat's recommended mode, and what a deployment that was
      // given the app's EncodingAESKey expects (weunion takes only encrypted pushes then).
      safeMode: input.safeMode ?? pushes,
      dataFormat: input.type === 'mini_program' ? (input.dataFormat ?? 'xml') : 'xml',
      originalId: input.originalId ?? (pushes ? `gh_${randomHex(6)}` : null),
      pages: input.pages ?? (input.type === 'mini_program' ? [...DEFAULT_PAGES] : []),
      redirectDomains: input.redirectDomains ?? [],
    };
    this.apps.set(appid, app);
    return app;
  }

  createPerson(input: NewPerson): Person {
    const id = input.id ?? `p_${randomHex(6)}`;
    if (this.people.has(id)) throw new AppError('conflict', `Person ${id} already exists`);
    const name = input.name ?? input.nickname ?? `Person ${id.slice(-4)}`;
    const person: Person = {
      id,
      name,
      nickname: input.nickname ?? name,
      phone: input.phone ?? null,
      avatarUrl: input.avatarUrl ?? null,
      snapshot: input.snapshot ?? false,
    };
    this.people.set(id, person);
    return person;
  }

  requireOpenPlatform(id: string): OpenPlatform {
    const platform = this.openPlatforms.get(id);
    if (platform === undefined) throw new AppError('not_found', `No Open Platform account ${id}`);
    return platform;
  }

  /** For the control API: a missing app is a 404 problem. */
  requireApp(appid: string): SandboxApp {
    const app = this.apps.get(appid);
    if (app === undefined) throw new AppError('not_found', `No app ${appid}`);
    return app;
  }

  requirePerson(id: string): Person {
    const person = this.people.get(id);
    if (person === undefined) throw new AppError('not_found', `No person ${id}`);
    return person;
  }

  openidOf(appid: string, personId: string): string {
    return deriveOpenid(appid, personId);
  }

  /** The unionid WeChat would attach for this app right now (null when the app is unbound). */
  unionidOf(app: SandboxApp, personId: string): string | null {
    return app.openPlatformId === null ? null : deriveUnionid(app.openPlatformId, personId);
  }

  /** The ids a login carries; a snapshot login gets stand-ins that match no real user. */
  idsFor(app: SandboxApp, personId: string, snapshot: boolean): { openid: string; unionid: string | null } {
    if (!snapshot) return { openid: this.openidOf(app.appid, personId), unionid: this.unionidOf(app, personId) };
    return {
      openid: deriveSnapshotOpenid(app.appid, personId),
      unionid: app.openPlatformId === null ? null : deriveSnapshotUnionid(app.openPlatformId, personId),
    };
  }

  identitiesOf(personId: string): Identity[] {
    return [...this.apps.values()].map((app) => ({
      appid: app.appid,
      type: app.type,
      openid: this.openidOf(app.appid, personId),
      unionid: this.unionidOf(app, personId),
    }));
  }

  /** The person behind an openid of this app, if any. */
  personByOpenid(appid: string, openid: string): Person | undefined {
    for (const person of this.people.values()) if (this.openidOf(appid, person.id) === openid) return person;
    return undefined;
  }

  followersOf(appid: string): Map<string, Follow> {
    let followers = this.follows.get(appid);
    if (followers === undefined) {
      followers = new Map();
      this.follows.set(appid, followers);
    }
    return followers;
  }
}

export function personKey(appid: string, personId: string): string {
  return `${appid}\u0000${personId}`;
}
