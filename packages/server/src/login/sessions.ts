/**
 * A person's login session in a browser: what S1–S4 end in, and what the OIDC provider's
 * interaction will read to finish an authorization. Kept in shared state (any instance can
 * read it), named by an unguessable id in an httpOnly cookie. Only a hash of the id is used as
 * the storage key, so a dump of the store does not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SharedState } from '@weunion/state';
import { z } from 'zod';

export const SESSION_COOKIE = 'wu_session';

const sessionSchema = z.object({
  userId: z.string(),
  /** How the person proved who they are (scenario ids like `s2`, or `password`…). */
  methods: z.array(z.string()),
  /** The WeChat app the login came through, when it did. */
  appid: z.string().optional(),
  /** The application the login was made for, when it was (see oidc/application-policy.ts). */
  clientId: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
export type LoginSession = z.infer<typeof sessionSchema>;

const storageKey = (sessionId: string) => `session:${createHash('sha256').update(sessionId).digest('base64url')}`;

export class LoginSessions {
  readonly #state: SharedState;
  readonly #ttlMs: number;

  constructor(state: SharedState, options: { ttlMs: number }) {
    this.#state = state;
    this.#ttlMs = options.ttlMs;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Starts a session; returns the id to put in the cookie. */
  async create(input: {
    userId: string;
    method: string;
    appid?: string;
    clientId?: string;
  }): Promise<{ sessionId: string; session: LoginSession }> {
    const sessionId = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: LoginSession = {
      userId: input.userId,
      methods: [input.method],
      ...(input.appid === undefined ? {} : { appid: input.appid }),
      ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    await this.#state.set(storageKey(sessionId), JSON.stringify(session), { ttlMs: this.#ttlMs });
    return { sessionId, session };
  }

  async get(sessionId: string | undefined): Promise<LoginSession | null> {
    if (sessionId === undefined || sessionId.length < 20 || sessionId.length > 100) return null;
    const raw = await this.#state.get(storageKey(sessionId));
    if (raw === null) return null;
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async destroy(sessionId: string | undefined): Promise<void> {
    if (sessionId !== undefined && sessionId !== '') await this.#state.delete(storageKey(sessionId));
  }
}
