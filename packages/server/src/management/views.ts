/**
 * What the management API answers with, as schemas: they document the responses in the OpenAPI
 * document, and `defineRoute` requires each handler to return something of its response schema's
 * type, so the TypeScript compiler keeps the two in step. They live in @weunion/management-api so
 * the console and the Node SDK parse answers with the very same schemas.
 */
export {
  adminKeyView,
  auditPage,
  connectionView,
  credentialCheckView,
  loginEventPage,
  loginStatsView,
  mergePage,
  mergePreviewView,
  mergeResultView,
  mergeSuggestionPage,
  noContent,
  userDetailView,
  userPage,
  userView,
  wechatIdentityView,
} from '@weunion/management-api';
