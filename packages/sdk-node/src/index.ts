export { type ApiErrorCode, type TokenErrorCode, WeunionApiError, WeunionTokenError } from './errors.ts';
export {
  type AccessTokenClaims,
  createTokenVerifier,
  type IdTokenClaims,
  type TokenVerifier,
  type TokenVerifierOptions,
  type WechatIdentityClaim,
} from './token-verifier.ts';
