/** How often the console's sign-in may be tried (console/routes.ts), and how the shell lifts a lock. */
import { type RateRule, rateKey } from '../http/rate-limit.ts';

const FIFTEEN_MINUTES = 15 * 60 * 1000;

export const LOGIN_PER_IP: RateRule = { name: 'console-login-ip', limit: 30, windowMs: FIFTEEN_MINUTES };
/**
 * Guessing one administrator's password: 10 tries per 15 minutes from one address, 100 from all
 * addresses together. Strangers elsewhere filling the second cannot lock an administrator out
 * with a handful of requests (they would need 100, from several addresses), and the shell clears
 * it at once: `weunion admins unlock <username>`.
 */
export const LOGIN_PER_USERNAME_AND_IP: RateRule = { name: 'console-login-user-ip', limit: 10, windowMs: FIFTEEN_MINUTES };
export const LOGIN_PER_USERNAME: RateRule = { name: 'console-login-user', limit: 100, windowMs: FIFTEEN_MINUTES };
/** The shared-state key of an administrator's sign-in attempts from all addresses (what `admins unlock` clears). */
export const loginAttemptsKey = (username: string) => rateKey(LOGIN_PER_USERNAME, username.trim().toLowerCase());
