/**
 * Applications (OIDC clients) as the management API accepts and shows them: their kinds, how they
 * authenticate and sign, whose `sub` they see, the identity policy they may override, and the
 * application view itself. The server documents its answers with these, the console parses them.
 */
import { z } from 'zod';
import { BINDING_METHODS } from './connection.ts';
import { SCENARIO_IDS } from './vocabulary.ts';

export const APPLICATION_TYPES = ['web', 'spa', 'native', 'mini_program'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/** How a web application authenticates at the token, revocation and introspection endpoints. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** The algorithms weunion signs tokens with (its signing keys, and what an application may ask for). */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** `public`: the weunion account id; `external`: the id an imported person had before (server: identity/subject.ts). */
export const SUBJECT_TYPES = ['public', 'external'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/**
 * What an application may change in the identity policy of the connections it logs people in
 * through (e.g. `registration: deny` for an app that serves existing customers only). Unset fields
 * keep the connection's value.
 */
export const applicationPolicySchema = z
  .object({
    registration: z.enum(['allow', 'deny']).optional(),
    fieldMatching: z.union([z.tuple([]), z.tuple([z.literal('phone')]), z.tuple([z.literal('phone'), z.literal('email')])]).optional(),
    queryBinding: z.enum(['off', 'offer', 'require']).optional(),
    bindingMethods: z.array(z.enum(BINDING_METHODS)).min(1).optional(),
    onMultipleMatches: z.enum(['select', 'refuse']).optional(),
    autoMergeOnUnionid: z.boolean().optional(),
  })
  .strict();
export type ApplicationPolicy = z.output<typeof applicationPolicySchema>;

const time = z.number().describe('Milliseconds since the epoch.');

/** An application as every management answer shows it; its secret never, only whether it has one. */
export const applicationView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(APPLICATION_TYPES),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  scenarios: z.array(z.enum(SCENARIO_IDS)),
  firstParty: z.boolean(),
  branding: z.object({
    logoUrl: z.string().optional(),
    primaryColor: z.string().optional(),
    termsUrl: z.string().optional(),
    privacyUrl: z.string().optional(),
    requireAgreement: z.boolean().optional(),
  }),
  policy: applicationPolicySchema,
  tokenEndpointAuthMethod: z.enum(CLIENT_AUTH_METHODS),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  jwksUri: z.string().nullable(),
  idTokenSignedResponseAlg: z.enum(SIGNING_ALGORITHMS).nullable(),
  backchannelLogoutUri: z.string().nullable(),
  resources: z.array(z.string()),
  subjectType: z.enum(SUBJECT_TYPES),
  secretSet: z.boolean(),
  createdAt: time,
  updatedAt: time,
});
export type ApplicationView = z.output<typeof applicationView>;
