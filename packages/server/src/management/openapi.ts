/**
 * The OpenAPI 3.1 document of the management API, generated from the route table's zod schemas
 * (the same ones that parse requests), so it describes exactly what the server accepts.
 */
import { PROBLEM_TYPE_BASE } from '@weunion/errors';
import { z } from 'zod';
import type { ManagementRoute } from './route.ts';

export const API_PREFIX = '/api/v1';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
};

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const json = toSchema(schema);
  const properties = z.record(z.string(), z.record(z.string(), z.unknown())).catch({}).parse(json.properties);
  const required = z.array(z.string()).catch([]).parse(json.required);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

export function buildOpenApiDocument(routes: ManagementRoute[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = `${API_PREFIX}${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const operation: JsonSchema = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[:/-]+([a-zA-Z])/g, (_, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body) } } } }),
      responses: {
        [String(route.status)]:
          route.status === 204
            ? { description: 'Done.' }
            : route.download === true
              ? {
                  description: 'A file, streamed (see the `format` query parameter).',
                  content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: {} } } },
                }
              : { description: 'Success.', content: { 'application/json': { schema: toSchema(route.response, 'output') } } },
        '400': { $ref: '#/components/responses/Problem' },
        '401': { $ref: '#/components/responses/Problem' },
        '404': { $ref: '#/components/responses/Problem' },
        '409': { $ref: '#/components/responses/Problem' },
      },
    };
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'weunion management API',
      version: '1',
      description: 'Admin API: users, WeChat identities, merges, audit log, connections, admin keys.',
    },
    servers: [{ url: serverUrl }],
    security: [{ adminKey: [] }, { consoleSession: [] }],
    paths,
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'An admin API key (`wu_…`), from `weunion admin-keys create`.' },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'weunion_console',
          description:
            "The admin console's session, from `POST /console/api/login`. Every method but GET/HEAD also needs the session's CSRF token in `x-csrf-token`; requests whose `Origin` is not PUBLIC_URL are refused.",
        },
      },
      responses: {
        Problem: {
          description: `RFC 9457 problem details; \`type\` is ${PROBLEM_TYPE_BASE}<code>.`,
          content: {
            'application/problem+json': {
              schema: {
                type: 'object',
                required: ['type', 'title', 'status', 'code'],
                properties: {
                  type: { type: 'string' },
                  title: { type: 'string' },
                  status: { type: 'integer' },
                  code: { type: 'string' },
                  detail: { type: 'string' },
                  requestId: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  };
}
