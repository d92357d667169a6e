import type pg from 'pg';

/**
 * Records `value` as the answer at `step` of call `callSid` unless one was recorded before,
 * and returns the answer that stands (the first). Twilio retries webhooks; a retry must be
 * answered as the first delivery was, even if the rules would now say otherwise.
 */
export async function firstAnswer<V extends string>(
  db: pg.Pool,
  step: { callSid: string; step: string; tenantId: string },
  value: V,
): Promise<V> {
  const { rows } = await db.query<{ value: V }>(
    `INSERT INTO call_steps (call_sid, step, tenant_id, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (call_sid, step) DO UPDATE SET call_sid = EXCLUDED.call_sid
     RETURNING value`,
    [step.callSid, step.step, step.tenantId, value],
  );
  return rows[0]!.value;
}

/** The answer recorded at `step` of call `callSid`, if any. */
export async function recordedAnswer(
  db: pg.Pool,
  callSid: string,
  step: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>(
    'SELECT value FROM call_steps WHERE call_sid = $1 AND step = $2',
    [callSid, step],
  );
  return rows[0]?.value;
}
