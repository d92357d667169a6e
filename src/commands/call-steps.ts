import type pg from 'pg';
import { readYourWrites, type DatabaseReach } from '../db/reach.ts';

/** Call steps remembered in memory while PostgreSQL is unreachable (oldest forgotten first). */
const MEMORY_LIMIT = 10_000;

/**
 * The first answer given at each step of a call (`call_steps`): Twilio retries webhooks, and
 * a retry must be answered as the first delivery was, even if the rules would now say
 * otherwise (a business-hours boundary passed in between). While PostgreSQL is unreachable
 * (`reach`), answers are kept in memory (at most 10,000, per process) and written to the
 * table by the first step that reaches it again; a retry is then answered from either.
 */
export class CallSteps {
  private readonly memory = new Map<string, string>();

  constructor(
    private readonly db: pg.Pool,
    private readonly reach?: DatabaseReach,
  ) {}

  /**
   * Records `value` as the answer at `step` of call `callSid` unless one was recorded
   * before, and returns the answer that stands (the first).
   */
  async first<V extends string>(
    step: { callSid: string; step: string; tenantId: string },
    value: V,
  ): Promise<V> {
    const key = `${step.callSid}\u0000${step.step}`;
    const wanted = (this.memory.get(key) as V | undefined) ?? value;
    let fromMemory = false;
    const stands = await readYourWrites(
      this.reach,
      'call step',
      async () => {
        const { rows } = await this.db.query<{ value: V }>(
          `INSERT INTO call_steps (call_sid, step, tenant_id, value) VALUES ($1, $2, $3, $4)
           ON CONFLICT (call_sid, step) DO UPDATE SET call_sid = EXCLUDED.call_sid
           RETURNING value`,
          [step.callSid, step.step, step.tenantId, wanted],
        );
        return rows[0]!.value;
      },
      () => {
        fromMemory = true;
        this.remember(key, wanted);
        return wanted;
      },
    );
    // Written to the table now (or another process's answer stands there): memory is done.
    if (!fromMemory) this.memory.delete(key);
    return stands;
  }

  /** The answer recorded at `step` of call `callSid`, if any. */
  async recorded(callSid: string, step: string): Promise<string | undefined> {
    const key = `${callSid}\u0000${step}`;
    return readYourWrites(
      this.reach,
      'call step',
      async () => {
        const { rows } = await this.db.query<{ value: string }>(
          'SELECT value FROM call_steps WHERE call_sid = $1 AND step = $2',
          [callSid, step],
        );
        return rows[0]?.value ?? this.memory.get(key);
      },
      () => this.memory.get(key),
    );
  }

  private remember(key: string, value: string): void {
    this.memory.delete(key);
    if (this.memory.size >= MEMORY_LIMIT) this.memory.delete(this.memory.keys().next().value!);
    this.memory.set(key, value);
  }
}
