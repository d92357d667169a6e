import type pg from 'pg';

/**
 * The tables of a read model version being built, and the atomic switch that makes them the
 * serving ones. A rebuild writes into `rebuild_<name>.<table>` under the usual table names
 * (its transactions search that schema before `public`), so handlers need no change.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return name;
}

/** `dashboard` → `rebuild_dashboard`: the schema a rebuild of it writes into. */
export const rebuildSchemaName = (shortName: string): string =>
  ident(`rebuild_${shortName.replace(/[^a-z0-9]+/g, '_')}`);

/**
 * Creates `schema` with empty copies of `tables` (columns, defaults, constraints, indexes:
 * `LIKE … INCLUDING ALL`). Idempotent, so a resumed rebuild keeps what it built.
 */
export async function createRebuildTables(
  db: pg.ClientBase,
  schema: string,
  tables: string[],
  readerIndexes: readonly string[] = [],
): Promise<void> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
  for (const table of tables) {
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${ident(schema)}.${ident(table)} (LIKE public.${ident(table)} INCLUDING ALL)`,
    );
    // Indexes only readers use are built once at the end (`buildReaderIndexes`), not kept
    // up to date row by row while millions of events are replayed.
    const serving = await indexesByShape(db, 'public', table);
    const copies = await indexesByShape(db, schema, table);
    for (const [shape, name] of serving) {
      const copy = copies.get(shape);
      if (copy && readerIndexes.includes(name)) {
        await db.query(`DROP INDEX ${ident(schema)}.${ident(copy)}`);
      }
    }
  }
}

/**
 * Builds on the rebuilt `tables` every index of the serving ones they lack (those
 * {@link createRebuildTables} left out), each in one pass over the finished table: run when
 * the rebuild has caught up, before the switch, outside its transaction (readers never wait
 * for it). Idempotent.
 */
export async function buildReaderIndexes(
  db: pg.Pool,
  schema: string,
  tables: string[],
): Promise<void> {
  for (const table of tables) {
    const serving = await indexesByShape(db, 'public', table);
    const copies = await indexesByShape(db, schema, table);
    for (const shape of serving.keys()) {
      if (copies.has(shape)) continue;
      // `shape` is PostgreSQL's own definition with the index and table names taken out.
      await db.query(
        shape.replace(
          /^CREATE (UNIQUE )?INDEX ON /,
          (_, unique: string | undefined) =>
            `CREATE ${unique ?? ''}INDEX ON ${ident(schema)}.${ident(table)} `,
        ),
      );
    }
  }
}

/**
 * Gathers the planner's statistics of the rebuilt `tables` (`ANALYZE`), which new tables lack
 * until autovacuum comes round (up to a minute, then only past 10% growth). Without them the
 * planner guesses, and the projection's lookups by a secondary key (a message by its
 * `MessageSid`) became a sequential scan and sort of the whole table per batch: a cost that
 * grows with the table. Takes no lock that writers wait for.
 */
export async function analyzeTables(
  db: pg.ClientBase | pg.Pool,
  schema: string,
  tables: string[],
): Promise<void> {
  for (const table of tables) await db.query(`ANALYZE ${ident(schema)}.${ident(table)}`);
}

/** Drops a rebuild's (or a retired version's) schema and everything in it. */
export async function dropSchema(db: pg.ClientBase | pg.Pool, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
}

/**
 * Index names of `schema.table` keyed by their definition with the names taken out, so the
 * copies `LIKE` made (named by PostgreSQL's defaults) can be given the original names.
 */
async function indexesByShape(
  db: pg.ClientBase | pg.Pool,
  schema: string,
  table: string,
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ name: string; shape: string }>(
    `SELECT i.relname AS name,
            regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ', 'CREATE \\1INDEX ON ') AS shape
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND t.relname = $2`,
    [schema, table],
  );
  return new Map(rows.map((r) => [r.shape, r.name]));
}

/**
 * Lock all of `tables` in `public` against readers and writers, in one statement, waiting at
 * most `lockTimeoutMs`. Call first in the switching transaction.
 * @throws pg's lock_not_available (55P03) when a long reader or writer holds one longer.
 */
export async function lockServingTables(
  db: pg.ClientBase,
  tables: string[],
  lockTimeoutMs: number,
): Promise<void> {
  await db.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
  if (tables.length === 0) return;
  await db.query(
    `LOCK TABLE ${tables.map((t) => `public.${ident(t)}`).join(', ')} IN ACCESS EXCLUSIVE MODE`,
  );
}

/**
 * In the caller's transaction (after {@link lockServingTables}): moves the serving `tables`
 * from `public` into `retiredSchema` and the rebuilt ones from `schema` into `public`,
 * renaming the rebuilt indexes to the serving ones' names (migrations refer to them).
 * Readers see the old tables until commit and the new ones after it, never a mix.
 */
export async function swapTables(
  db: pg.ClientBase,
  schema: string,
  retiredSchema: string,
  tables: string[],
): Promise<void> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(retiredSchema)}`);
  for (const table of tables) {
    const serving = await indexesByShape(db, 'public', table);
    const rebuilt = await indexesByShape(db, schema, table);
    await db.query(`ALTER TABLE public.${ident(table)} SET SCHEMA ${ident(retiredSchema)}`);
    await db.query(`ALTER TABLE ${ident(schema)}.${ident(table)} SET SCHEMA public`);
    for (const [shape, name] of rebuilt) {
      const original = serving.get(shape);
      if (original && original !== name) {
        await db.query(`ALTER INDEX public.${ident(name)} RENAME TO ${ident(original)}`);
      }
    }
  }
}
