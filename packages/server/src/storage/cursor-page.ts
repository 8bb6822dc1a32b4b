/**
 * Keyset paging by id: a list query asks for `limit + 1` rows after the cursor; this splits off the
 * page and says where the next one starts (the page's last id), or null when nothing follows.
 */
export function cursorPage<T extends { id: string }>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}
