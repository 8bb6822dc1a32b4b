/** Reading outside input: every query and body goes through a schema, nothing is cast. */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { WechatApiError } from '../wechat-error.ts';

/** Query parameters as WeChat reads them: text, the first value when a name repeats. */
const querySchema = z.record(
  z.string(),
  z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value[0] : value)),
);

export type Query = Record<string, string | undefined>;

export function readQuery(raw: unknown): Query {
  const parsed = querySchema.safeParse(raw ?? {});
  if (!parsed.success) throw new WechatApiError('invalidArgs');
  return parsed.data;
}

const jsonObject = z.record(z.string(), z.unknown());

/**
 * A WeChat POST body: JSON whatever the content type says (WeChat does not look at it).
 * Not a JSON object → 47001 "data format error", like WeChat.
 */
export function readWechatJson(raw: unknown): Record<string, unknown> {
  let value: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    try {
      value = JSON.parse(raw.toString());
    } catch {
      throw new WechatApiError('dataFormat');
    }
  }
  const parsed = jsonObject.safeParse(value);
  if (!parsed.success) throw new WechatApiError('dataFormat');
  return parsed.data;
}

/** A control-API body or query: failure is a 400 problem naming the field. */
export function parseControl<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  throw new AppError('validation_failed', first === undefined ? undefined : `${first.path || 'body'}: ${first.message}`, {
    details: { issues },
  });
}
