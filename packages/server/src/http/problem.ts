/**
 * Every error leaves the server as RFC 9457 problem+json. AppErrors keep their code and status;
 * framework errors (bad JSON, wrong content type, body too large) map to the matching generic code;
 * anything else is an internal error: logged with its stack, answered with the request id only.
 */

import { AppError, type ErrorCode, toProblem } from '@weunion/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

const statusToCode: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return validationError(error);
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = statusToCode[status] ?? 'bad_request';
    return new AppError(code, fastifyError.message, { status });
  }
  return new AppError('internal', undefined, { cause: error });
}

export function validationError(error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  const message = first === undefined ? 'The request is not valid' : `${first.path || 'body'}: ${first.message}`;
  return new AppError('validation_failed', message, { details: { issues } });
}

/** Parse untrusted input with a schema; failure is a 400 problem naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const retryAfter = error.details?.retryAfterSeconds;
  if ((error.code === 'rate_limited' || error.code === 'binding_locked') && typeof retryAfter === 'number')
    reply.header('retry-after', String(retryAfter));
  return reply
    .status(error.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(toProblem(error, String(request.id)));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error, code: appError.code }, 'request failed');
    else request.log.info({ code: appError.code, status: appError.status }, appError.message);
    return sendProblem(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
