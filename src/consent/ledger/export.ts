import { stringify } from 'csv-stringify';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { parseBoundedInstant } from '../../shared/time-bounds.ts';
import { streamLedger, toEntry, type LedgerEntry } from './queries.ts';

/** Columns of the CSV export, in order. */
export const EXPORT_COLUMNS = [
  'tenantId',
  'seq',
  'phone',
  'kind',
  'basis',
  'source',
  'channel',
  'text',
  'evidence',
  'occurredAt',
  'expiresAt',
  'eventId',
  'logPosition',
  'prevHash',
  'recordHash',
] as const;

/**
 * An instant parameter (an export bound, a point in time) as UTC ISO-8601; undefined stays
 * undefined. ISO-8601 only, bounded to 2000-01-01 … 2100-12-31 (`shared/time-bounds.ts`).
 * @throws ValidationError (`INVALID_TIME`) naming the bound when it is not such an instant.
 */
export function parseInstant(name: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseBoundedInstant(name, value);
}

/**
 * The consent ledger as CSV ({@link EXPORT_COLUMNS}, evidence as JSON) or NDJSON (one
 * {@link LedgerEntry} per line), read through a database cursor so memory stays bounded.
 * `output` is the text to send on; `done` settles when the cursor is exhausted (or fails),
 * after `client` is released.
 */
export function exportLedger(
  client: pg.PoolClient,
  filter: { tenantId?: string; from?: string; to?: string },
  format: 'csv' | 'ndjson',
): { output: Readable; done: Promise<void> } {
  const toEntries = new Transform({
    objectMode: true,
    transform: (row, _encoding, next) => next(null, toEntry(row)),
  });
  const output =
    format === 'csv'
      ? stringify({
          header: true,
          columns: [...EXPORT_COLUMNS],
          cast: { object: (value) => JSON.stringify(value) },
        })
      : new Transform({
          writableObjectMode: true,
          transform: (entry: LedgerEntry, _encoding, next) =>
            next(null, `${JSON.stringify(entry)}\n`),
        });
  const done = pipeline(streamLedger(client, filter), toEntries, output).finally(() =>
    client.release(),
  );
  return { output, done };
}
