/** What an audit entry changed: before and after flattened to dotted paths, only the paths that differ. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{a: {b: 1}}` → `[['a.b', 1]]`: nested objects as dotted paths, arrays and scalars as values. */
function flatten(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!isRecord(value)) {
    if (value !== undefined && value !== null) out.set(prefix || '·', value);
    return out;
  }
  for (const [key, inner] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isRecord(inner)) for (const [innerPath, v] of flatten(inner, path)) out.set(innerPath, v);
    else out.set(path, inner);
  }
  return out;
}

export function diffRows(before: unknown, after: unknown): { field: string; before: unknown; after: unknown }[] {
  const a = flatten(before);
  const b = flatten(after);
  const fields = [...new Set([...a.keys(), ...b.keys()])];
  return fields
    .map((field) => ({ field, before: a.get(field), after: b.get(field) }))
    .filter((row) => JSON.stringify(row.before) !== JSON.stringify(row.after));
}

export function showValue(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
