/**
 * Queries on the hottest paths, built with Kysely once per database and then only run with new
 * values. Building and compiling a query (operation nodes, then SQL) cost more CPU than SQLite
 * took to run most of them; the SQL text a shape compiles to never changes, only its parameters.
 *
 * `precompiled(build)` calls `build` with placeholders — stand-ins carrying each named value —
 * compiles the result once per dialect adapter (dialects compile differently; a database and its
 * transactions share one), and remembers
 * which parameter is which placeholder. Values that were not placeholders (e.g. a literal model
 * name) stay as compiled. Name each placeholder where it is used (`values.id`): the stand-ins are
 * made on access, so spreading `values` gives nothing. A placeholder must stand for a value only,
 * never decide the query's shape (`is null` vs `= ?`): the shape is compiled once. The statement cache (database.ts) then reuses the prepared statement.
 */
import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';

const PLACEHOLDER = Symbol('precompiled placeholder');

interface Placeholder {
  readonly [PLACEHOLDER]: string;
}

function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && PLACEHOLDER in value;
}

/** What `build` receives: one stand-in per value, typed as the value so the builder accepts it. */
export type Placeholders<P> = { readonly [K in keyof P]: P[K] };

interface Compiled {
  sql: string;
  query: CompiledQuery['query'];
  /** Per parameter: the placeholder's name, or the constant compiled in. */
  slots: ({ name: string } | { constant: unknown })[];
}

export interface Precompiled<DB, P, R> {
  execute(db: Kysely<DB>, values: P): Promise<QueryResult<R>>;
}

export function precompiled<DB, P extends Record<string, unknown>, R>(
  // `execute` is there for the types only: it makes TypeScript check the declared row type `R`.
  build: (db: Kysely<DB>, values: Placeholders<P>) => Compilable<R> & { execute(): Promise<R[]> },
): Precompiled<DB, P, R> {
  const compiledFor = new WeakMap<object, Compiled>();
  const placeholders = new Proxy(
    {},
    {
      get: (_target, name) => (typeof name === 'string' ? { [PLACEHOLDER]: name } : undefined),
      ownKeys: () => {
        throw new TypeError('precompiled: name each placeholder (values.x); spreading the values gives nothing');
      },
    },
  ) as Placeholders<P>;
  return {
    async execute(db, values) {
      // Per dialect adapter, which a database shares with its transactions (a new Kysely each).
      const dialect = db.getExecutor().adapter;
      let compiled = compiledFor.get(dialect);
      if (compiled === undefined) {
        const query = build(db, placeholders).compile();
        compiled = {
          sql: query.sql,
          query: query.query,
          slots: query.parameters.map((parameter) =>
            isPlaceholder(parameter) ? { name: parameter[PLACEHOLDER] } : { constant: parameter },
          ),
        };
        compiledFor.set(dialect, compiled);
      }
      const parameters = compiled.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant));
      const run: CompiledQuery<R> = { ...CompiledQuery.raw(compiled.sql, parameters), query: compiled.query };
      return db.executeQuery(run);
    },
  };
}
