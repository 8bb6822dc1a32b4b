/**
 * An application's web origins in the management API: the origins its redirect URIs give it, the
 * ones registered on their own, and the two together (what CORS and return-to allow).
 */
import { z } from 'zod';
import { recordAudit } from '../identity/audit.ts';
import { defineRoute, type ManagementRoute } from '../management/route.ts';
import { MAX_WEB_ORIGINS, setWebOrigins, webOriginSchema, webOriginsOf } from './web-origins.ts';

const params = z.object({ applicationId: z.string().min(1).max(100).describe('The client_id.') }).strict();
const view = z.object({
  derived: z.array(z.string()).describe('The origins of the application’s http(s) redirect URIs.'),
  explicit: z.array(z.string()).describe('Origins registered on their own.'),
  effective: z.array(z.string()).describe('Both: pages there may embed the login widget or use the browser SDK, and be a return-to.'),
});

export const webOriginRoutes: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/applications/:applicationId/web-origins',
    tag: 'applications',
    summary: 'The web origins from which pages may embed weunion’s login for this application.',
    params,
    response: view,
    handler: async ({ params: { applicationId }, ctx }) => webOriginsOf(ctx.database.db, applicationId),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/applications/:applicationId/web-origins',
    tag: 'applications',
    summary: 'Set the origins registered on their own, as a whole list (those of the redirect URIs always count).',
    params,
    body: z.object({ origins: z.array(webOriginSchema).max(MAX_WEB_ORIGINS) }).strict(),
    response: view,
    handler: async ({ params: { applicationId }, body, actor, ctx }) => {
      const before = await webOriginsOf(ctx.database.db, applicationId);
      const after = await setWebOrigins(ctx.database.db, applicationId, body.origins);
      await recordAudit(ctx.database.db, {
        actor,
        action: 'application.web_origins_changed',
        subjectId: applicationId,
        before: { webOrigins: before.explicit },
        after: { webOrigins: after.explicit },
      });
      return after;
    },
  }),
];
