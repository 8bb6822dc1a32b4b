/**
 * The identity core as scenario code and the hosted pages use it. Start with
 * `signInThroughConnection` (connections/sign-in.ts) or `signIn`; follow a `select` or `bind`
 * outcome with the matching `complete…` call.
 */
export type { SignInResult } from './apply.ts';
export { type IdentityAssertion, identityAssertionSchema, type WechatProfile, wechatProfileSchema } from './assertion.ts';
export { type Actor, SYSTEM_ACTOR } from './audit.ts';
export { type KnownWechatIdentity, lookupWechatIdentity } from './facts.ts';
export {
  type AccountCandidate,
  completeBindingWithCode,
  completeBindingWithPassword,
  completeSelection,
  createInsteadOfBinding,
  describePendingSignIn,
  type IdentityDeps,
  type SignInOutcome,
  sendBindingCode,
  signIn,
} from './pending-sign-in.ts';
export { BINDING_METHODS, type BindingMethod, DEFAULT_POLICY, type IdentityPolicy, identityPolicySchema } from './policy.ts';
export type { RefusalReason } from './resolve.ts';
export { getUserDetail, type UserDetail, type UserView } from './users.ts';
export { type CodeChannel, type CodeMessage, type CodeSender, createLogCodeSender, VerificationCodes } from './verification-codes.ts';
