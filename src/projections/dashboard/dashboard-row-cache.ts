import {
  emptyRows,
  holdMessage,
  rowKey,
  type CallRow,
  type DashboardRows,
  type LeadRow,
  type MessageRow,
  type NeededRows,
} from './dashboard-fold.ts';

/** Bounds of a {@link DashboardRowCache}. */
export interface RowCacheLimits {
  /**
   * Rows held at most, calls, leads and messages together. Past it, the least recently used
   * rows of the largest table are let go (and read back from the tables if needed again).
   */
  rows: number;
  /**
   * Keys remembered at most: one per row written, and one per MessageSid. Past it the cache
   * gives up ({@link DashboardRowCache.keep} returns false) and the projection reads every
   * batch's rows from its tables again, as it does live.
   */
  keys: number;
}

/**
 * About 100 MB of rows (mostly messages with their bodies) and 2,000,000 keys (about 200 MB
 * at most): a replay of about 3,500,000 events of `bench:rebuild`'s traffic (1,000,000 events
 * write about 570,000 rows and 380,000 MessageSids).
 */
export const DEFAULT_ROW_CACHE_LIMITS: RowCacheLimits = { rows: 200_000, keys: 2_000_000 };

/**
 * The dashboard's rows as its committed tables hold them, for a projection that replays
 * into tables that were **empty when the cache began** and that only it writes (a rebuild, a
 * restore: see `ConsumerContext.memo`). It remembers the key of every row written since, so
 * a key it never saw names no row and needs no look-up, and it holds the rows themselves up
 * to {@link RowCacheLimits.rows}. A replay then reads from its tables only rows it let go:
 * in `bench:rebuild` (300,000 events), none, where it read about 600,000 keys in 4 queries a
 * batch.
 *
 * The rows it hands over are its own objects, which the fold changes in place: a batch that
 * fails must drop the cache, and only a batch whose writes succeeded may {@link keep} its rows.
 */
export class DashboardRowCache {
  private readonly calls = new Map<string, CallRow>();
  private readonly leads = new Map<string, LeadRow>();
  private readonly messages = new Map<string, MessageRow>();
  /** The key of every row written since the tables were empty, by table. */
  private readonly written = {
    calls: new Set<string>(),
    leads: new Set<string>(),
    messages: new Set<string>(),
  };
  /** Message keys by `tenant + MessageSid`, of every message row written with a Sid. */
  private readonly keysBySid = new Map<string, string>();

  constructor(private readonly limits: RowCacheLimits = DEFAULT_ROW_CACHE_LIMITS) {}

  /**
   * The rows `needed` names that are held, in fresh {@link DashboardRows}, and `missing`: the
   * rows written but let go, to be read from the tables (a MessageSid's row by its message
   * key). A key never written, and a MessageSid never written, name no row: neither is
   * handed over nor missing.
   */
  take(needed: NeededRows): { rows: DashboardRows; missing: NeededRows } {
    const rows = emptyRows();
    const missing: NeededRows = { calls: [], leads: [], messageKeys: [], messageSids: [] };
    for (const pair of needed.calls) {
      const key = rowKey(pair[0], pair[1]);
      const row = this.calls.get(key);
      if (row) rows.calls.set(key, row);
      else if (this.written.calls.has(key)) missing.calls.push(pair);
    }
    for (const pair of needed.leads) {
      const key = rowKey(pair[0], pair[1]);
      const row = this.leads.get(key);
      if (row) rows.leads.set(key, row);
      else if (this.written.leads.has(key)) missing.leads.push(pair);
    }
    const message = (tenantId: string, messageKey: string) => {
      const row = this.messages.get(rowKey(tenantId, messageKey));
      if (row) holdMessage(rows, row);
      else if (this.written.messages.has(rowKey(tenantId, messageKey))) {
        missing.messageKeys.push([tenantId, messageKey]);
      }
    };
    for (const [tenantId, messageKey] of needed.messageKeys) message(tenantId, messageKey);
    for (const [tenantId, sid] of needed.messageSids) {
      const messageKey = this.keysBySid.get(rowKey(tenantId, sid));
      if (messageKey !== undefined) message(tenantId, messageKey);
    }
    return { rows, missing };
  }

  /**
   * Remembers every row of `rows` (loaded or changed) as the batch left it, once its writes
   * have succeeded, and lets the least recently used rows go past {@link RowCacheLimits.rows}.
   * @returns false when the keys outgrew {@link RowCacheLimits.keys}: the cache is then of
   *   no more use and must be dropped.
   */
  keep(rows: DashboardRows): boolean {
    for (const [key, row] of rows.calls) hold(this.calls, this.written.calls, key, row);
    for (const [key, row] of rows.leads) hold(this.leads, this.written.leads, key, row);
    for (const [key, row] of rows.messages) {
      hold(this.messages, this.written.messages, key, row);
      if (row.messageSid) {
        this.keysBySid.set(rowKey(row.tenantId, row.messageSid), row.messageKey);
      }
    }
    const tables = [this.calls, this.leads, this.messages];
    let held = this.calls.size + this.leads.size + this.messages.size;
    while (held > this.limits.rows) {
      const largest = tables.reduce((a, b) => (b.size > a.size ? b : a));
      largest.delete(largest.keys().next().value!);
      held--;
    }
    const keys =
      this.written.calls.size +
      this.written.leads.size +
      this.written.messages.size +
      this.keysBySid.size;
    return keys <= this.limits.keys;
  }

  /** How many rows are held and keys remembered (for tests and the bench). */
  get size(): { rows: number; keys: number } {
    return {
      rows: this.calls.size + this.leads.size + this.messages.size,
      keys:
        this.written.calls.size +
        this.written.leads.size +
        this.written.messages.size +
        this.keysBySid.size,
    };
  }
}

/** Holds `row` as the most recently used of `table`, and remembers its key as written. */
function hold<R>(table: Map<string, R>, written: Set<string>, key: string, row: R): void {
  table.delete(key);
  table.set(key, row);
  written.add(key);
}
