import type pg from 'pg';

/** One consent change of a number, as a line of a lead's timeline. */
export interface ConsentTimelineEntry {
  /** When the change occurred (UTC). */
  at: Date;
  /** `consent granted: <basis> (<source>)` or `consent revoked (<channel>)`. */
  summary: string;
  kind: 'granted' | 'revoked';
  /** The text that revoked it (a STOP's words), else null. */
  text: string | null;
}

/** A number's consent changes for one tenant (E.164), oldest first (ledger order). */
export async function consentTimeline(
  db: pg.Pool | pg.ClientBase,
  tenantId: string,
  phone: string,
): Promise<ConsentTimelineEntry[]> {
  const { rows } = await db.query<ConsentTimelineEntry>(
    `SELECT occurred_at AS at,
            CASE WHEN kind = 'granted' THEN 'consent granted: ' || basis || ' (' || source || ')'
                 ELSE 'consent revoked (' || channel || ')' END AS summary,
            kind, text
       FROM consent_records WHERE tenant_id = $1 AND phone = $2
      ORDER BY occurred_at, seq`,
    [tenantId, phone],
  );
  return rows;
}

/**
 * How many revocations (opt-outs by any channel) of a tenant occurred in `[from, to)` (UTC
 * ISO-8601): a count of ledger records, so a number that opted out twice counts twice.
 */
export async function revocationCount(
  db: pg.Pool | pg.ClientBase,
  tenantId: string,
  period: { from: string; to: string },
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM consent_records
      WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND kind = 'revoked'`,
    [tenantId, period.from, period.to],
  );
  return rows[0]?.n ?? 0;
}
