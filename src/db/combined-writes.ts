import type pg from 'pg';

/**
 * One write of {@link runWrites}: an `INSERT … SELECT … [ON CONFLICT …]` without `RETURNING`,
 * its parameters written `$1`…`$n` (and no other `$` in its text) with their `values`, and the
 * channel to `NOTIFY` (empty payload, delivered at commit) when it inserted or updated a row.
 */
export interface Write {
  insert: string;
  values: unknown[];
  channel?: string;
}

/** The table an `INSERT INTO <table>` writes (lower case). */
const TARGET = /^\s*INSERT\s+INTO\s+([a-z_][a-z0-9_.]*)/i;

/**
 * Runs `writes` (absent ones skipped) as one statement: each a data-modifying `WITH` query,
 * each channel notified in the same statement when its write wrote a row. One round trip where
 * one statement per write took one each: a processor's batch stores its state, queues its texts
 * and sets its timers at once. The writes run in one snapshot and see none of each other's rows
 * (PostgreSQL docs, "Data-Modifying Statements in WITH"), which is why they must write
 * different tables. Inside a transaction the notifications are delivered on commit, as any
 * `NOTIFY` is; nothing is notified when the statement fails.
 *
 * @returns how many rows each write wrote, in the order given (0 for an absent one); no query
 *   at all when every write is absent.
 * @throws Error when two writes name the same table or a write is not an `INSERT INTO`; pg's
 *   errors for the statement, unchanged.
 */
export async function runWrites(
  db: pg.ClientBase | pg.Pool,
  writes: ReadonlyArray<Write | undefined>,
): Promise<number[]> {
  const present = writes.flatMap((write, index) => (write ? [{ write, index }] : []));
  const counts = writes.map(() => 0);
  if (present.length === 0) return counts;
  const tables = new Set<string>();
  const values: unknown[] = [];
  const queries: string[] = [];
  const results: string[] = [];
  for (const [i, { write }] of present.entries()) {
    const table = TARGET.exec(write.insert)?.[1]?.toLowerCase();
    if (!table) throw new Error(`runWrites: not an INSERT INTO: ${write.insert.slice(0, 40)}`);
    if (tables.has(table)) throw new Error(`runWrites: two writes of ${table} in one statement`);
    tables.add(table);
    const offset = values.length;
    values.push(...write.values);
    queries.push(
      `w${i} AS (${write.insert.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)} RETURNING 1)`,
    );
    results.push(`(SELECT count(*) FROM w${i})::int AS w${i}`);
    if (write.channel) {
      values.push(write.channel);
      // pg_notify is volatile: CASE evaluates it only for a write that wrote a row.
      results.push(
        `CASE WHEN EXISTS (SELECT FROM w${i}) THEN pg_notify($${values.length}, '') END AS n${i}`,
      );
    }
  }
  const { rows } = await db.query<Record<string, number>>(
    `WITH ${queries.join(',\n')}\nSELECT ${results.join(', ')}`,
    values,
  );
  for (const [i, { index }] of present.entries()) counts[index] = rows[0]?.[`w${i}`] ?? 0;
  return counts;
}
