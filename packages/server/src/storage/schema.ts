/**
 * The shape of every durable table, as Kysely sees it. Portable conventions, the same on SQLite
 * and PostgreSQL: ids are text, times are integer milliseconds since the epoch (`bigint`),
 * booleans are integers 0/1, structured values are JSON text.
 */

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface Tables {
  settings: SettingsTable;
}
