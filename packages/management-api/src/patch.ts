/**
 * PATCH bodies are partial updates: a field the body leaves out keeps its stored value. A schema
 * made with `.partial()` does not give that: in zod 4 a `.default()` under `.optional()` still
 * fills in, so `{"name":"x"}` would reset every defaulted field. These helpers build patch schemas
 * from the full ones with the defaults taken off, and apply a nested patch field by field
 * (JSON Merge Patch, RFC 7396, for one level: `null` removes an optional field).
 */
import { z } from 'zod';

type FieldShape = Record<string, z.ZodType>;
type WithoutDefault<T> = T extends z.ZodDefault<infer Inner> ? Inner : T;
type PatchShape<Shape extends FieldShape> = { [K in keyof Shape]: z.ZodOptional<WithoutDefault<Shape[K]>> };
type NullablePatchShape<Shape extends FieldShape> = {
  [K in keyof Shape]: z.ZodOptional<z.ZodNullable<WithoutDefault<Shape[K]>>>;
};

function withoutDefault<T extends z.ZodType>(field: T): WithoutDefault<T> {
  // The type parameter says which it is; the runtime check only decides whether to unwrap.
  return (field instanceof z.ZodDefault ? field.unwrap() : field) as WithoutDefault<T>;
}

/** Every field of `schema` optional and without its default; unknown fields still refused. */
export function patchSchemaOf<Shape extends FieldShape>(schema: z.ZodObject<Shape>): z.ZodObject<PatchShape<Shape>, z.core.$strict> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([key, field]) => [key, withoutDefault(field).optional()]));
  // Built key by key from `Shape`, which TypeScript cannot follow through Object.entries.
  return z.strictObject(shape) as unknown as z.ZodObject<PatchShape<Shape>, z.core.$strict>;
}

/** Like `patchSchemaOf`, and `null` for a field removes it (for objects whose fields are all optional). */
export function nullablePatchSchemaOf<Shape extends FieldShape>(
  schema: z.ZodObject<Shape>,
): z.ZodObject<NullablePatchShape<Shape>, z.core.$strict> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([key, field]) => [key, withoutDefault(field).nullable().optional()]));
  return z.strictObject(shape) as unknown as z.ZodObject<NullablePatchShape<Shape>, z.core.$strict>;
}

/**
 * `current` with the fields `patch` names replaced; a `null` removes the field. Fields the patch
 * leaves out (or sets to `undefined`) keep their value.
 */
export function applyPatch<T extends object>(current: T, patch: { [K in keyof T]?: T[K] | null } | undefined): T {
  if (patch === undefined) return current;
  const result = new Map<string, unknown>(Object.entries(current));
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) result.delete(key);
    else result.set(key, value);
  }
  // Only keys of T were copied or removed, so the result is still a T.
  return Object.fromEntries(result) as T;
}
