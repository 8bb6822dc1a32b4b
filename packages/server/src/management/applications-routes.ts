/**
 * Applications (OIDC clients) in the management API: register one, list, change its redirect
 * allowlist/scenarios/branding, rotate a web application's secret, delete it with everything
 * issued to it. Secrets appear only in the responses that create them.
 */
import { AppError } from '@weunion/errors';
import { applicationView as applicationResponse } from '@weunion/management-api';
import { z } from 'zod';
import { loginStylesheetUrl } from '../hosted/login-page.ts';
import { renderLoginPreview } from '../hosted/login-view.ts';
import { recordAudit } from '../identity/audit.ts';
import {
  applicationFields,
  applicationInputSchema,
  applicationPatchSchema,
  applicationView,
  createApplication,
  deleteApplication,
  findApplication,
  listApplications,
  rotateApplicationSecret,
  updateApplication,
} from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { defineRoute, type ManagementRoute } from './route.ts';

const params = z.object({ applicationId: z.string().min(1).max(100).describe('The client_id.') }).strict();
const withSecret = z.object({
  application: applicationResponse,
  clientSecret: z.string().nullable().describe('The client secret (web applications), shown only in this response.'),
});

function allowedWays(scenarios: readonly string[] | undefined) {
  const allows = (way: string) => scenarios === undefined || scenarios.includes(way);
  return { s1: allows('s1'), s2: allows('s2'), s3: allows('s3'), s4: allows('s4') };
}

const previewBody = z
  .object({
    id: applicationFields.id.optional().describe('The application (for the form of an existing one); omit while creating.'),
    name: z.string().max(200).describe('The name as typed (may be unsaved).'),
    scenarios: applicationFields.scenarios.optional().describe('The scenarios as ticked; default: all.'),
    branding: applicationFields.branding.describe('The branding as typed (unsaved values are previewed as they are).'),
    language: z.enum(['zh-CN', 'en']).default('zh-CN'),
    device: z.enum(['desktop', 'phone', 'wechat']).default('desktop').describe('A PC, a phone browser, or the WeChat browser.'),
  })
  .strict();

export const applicationRoutes: ManagementRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/applications/login-preview',
    tag: 'applications',
    summary:
      'The hosted login page as it would look with these (unsaved) settings: a whole HTML document rendered from the same template as /login, without script or live QR codes (for an iframe srcdoc). It shows the ways the scenarios allow, served by a WeChat app yet or not.',
    body: previewBody,
    response: z.object({ html: z.string().describe('The document; it links /assets/login-page.css and runs no script.') }),
    handler: async ({ body }) => ({
      html: renderLoginPreview(
        {
          language: body.language,
          device: body.device,
          application: { id: body.id ?? 'preview', name: body.name.trim() === '' ? '…' : body.name, branding: body.branding },
          // The ways the application allows, whether or not a WeChat app serves them yet (the form
          // marks unserved ones): an admin sets the look before or after connecting WeChat.
          ways: allowedWays(body.scenarios),
          returnTo: '/',
          smsLogin: false,
          query: '',
        },
        loginStylesheetUrl(body.branding.primaryColor),
      ),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/applications',
    tag: 'applications',
    summary: 'Every application (OIDC client); secrets are never returned.',
    response: z.object({ applications: z.array(applicationResponse) }),
    handler: async ({ ctx }) => ({ applications: (await listApplications(oidcDb(ctx.database.db), ctx.secrets)).map(applicationView) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/applications',
    tag: 'applications',
    status: 201,
    summary: 'Register an application; a web application gets a client secret, shown only in this response.',
    body: applicationInputSchema,
    response: withSecret,
    handler: async ({ body, actor, ctx }) => {
      const { application, clientSecret } = await createApplication(oidcDb(ctx.database.db), ctx.secrets, body);
      const view = applicationView(application);
      await recordAudit(ctx.database.db, { actor, action: 'application.created', subjectId: application.id, after: view });
      return { application: view, clientSecret };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/applications/:applicationId',
    tag: 'applications',
    summary: 'One application.',
    params,
    response: applicationResponse,
    handler: async ({ params: { applicationId }, ctx }) => {
      const application = await findApplication(oidcDb(ctx.database.db), ctx.secrets, applicationId);
      if (application === null) throw new AppError('not_found', `No application ${applicationId}`);
      return applicationView(application);
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/applications/:applicationId',
    tag: 'applications',
    summary:
      'Change an application: only the fields the body names change (branding and policy field by field; null removes one of theirs).',
    params,
    body: applicationPatchSchema,
    response: applicationResponse,
    handler: async ({ params: { applicationId }, body, actor, ctx }) => {
      const db = oidcDb(ctx.database.db);
      const before = await findApplication(db, ctx.secrets, applicationId);
      const after = applicationView(await updateApplication(db, ctx.secrets, applicationId, body));
      await recordAudit(ctx.database.db, {
        actor,
        action: 'application.updated',
        subjectId: applicationId,
        before: before === null ? null : applicationView(before),
        after,
      });
      return after;
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/applications/:applicationId/secret',
    tag: 'applications',
    summary: 'Rotate a web application’s client secret; the old one stops working at once.',
    params,
    response: z.object({ clientSecret: z.string().describe('The new secret, shown only in this response.') }),
    handler: async ({ params: { applicationId }, actor, ctx }) => {
      const clientSecret = await rotateApplicationSecret(oidcDb(ctx.database.db), ctx.secrets, applicationId);
      await recordAudit(ctx.database.db, { actor, action: 'application.secret_rotated', subjectId: applicationId });
      return { clientSecret };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/applications/:applicationId',
    tag: 'applications',
    status: 204,
    summary: 'Delete an application and every grant, code and token issued to it.',
    params,
    response: z.void(),
    handler: async ({ params: { applicationId }, actor, ctx }) => {
      await deleteApplication(oidcDb(ctx.database.db), applicationId);
      await recordAudit(ctx.database.db, { actor, action: 'application.deleted', subjectId: applicationId });
    },
  }),
];
