/**
 * A connection's identity policy: how a WeChat login that weunion does not yet recognise becomes an
 * account. The defaults are the safe ones: register new people, never link by matching fields,
 * never merge on our own, and let a person choose when several accounts are theirs.
 */
import { type IdentityPolicy, identityPolicySchema } from '@weunion/management-api';

// The schema is pure data the console edits too, so it lives in the management API package.
export {
  BINDING_METHODS,
  type BindingMethod,
  type IdentityPolicy,
  type IdentityPolicyInput,
  identityPolicySchema,
} from '@weunion/management-api';

export const DEFAULT_POLICY: IdentityPolicy = identityPolicySchema.parse({});
