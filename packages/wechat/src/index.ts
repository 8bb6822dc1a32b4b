export { WECHAT_APP_TYPES, type WechatAppType } from './app-type.ts';
export { type AccessTokens, createWechatClient, type WechatClient, type WechatClientOptions } from './client.ts';
export type { CredentialCheck, CredentialsClient } from './credentials.ts';
export * from './crypto/index.ts';
export { resolveEndpoints, sandboxEndpoints, WECHAT_ENDPOINTS, type WechatEndpoints } from './endpoints.ts';
export { errorCodeFor, isAccessTokenRejected, wechatError } from './errcodes.ts';
export type { JsSdkClient, JsSdkConfig } from './js-sdk.ts';
export type {
  MiniProgramClient,
  MiniProgramPhoneNumber,
  MiniProgramSession,
  UnlimitedCodeInput,
} from './mini-program.ts';
export type {
  AuthorizeUrlInput,
  OAuthAccessToken,
  OAuthClient,
  OAuthScope,
  QrConnectUrlInput,
  SnsUserInfo,
  UserInfoLang,
} from './oauth.ts';
export type { CreateQrCodeInput, OfficialAccountClient, OfficialAccountQrCode, OfficialAccountUser } from './official-account.ts';
export type { AccessTokenSource, CachedAccessToken, WechatAppCredentials } from './tokens.ts';
export type { CallOptions, RetryOptions, WechatImage } from './transport.ts';
export { buildXml, parseXml } from './xml.ts';
