import { setTimeout as sleep } from 'node:timers/promises';
import { dialActionParams, voiceCallParams } from '../../src/cli/webhook-client.ts';
import { ACCOUNT_SID, newSid, type E2eEnv } from './e2e-env.ts';

/** What happened to one caller of a burst, as Twilio saw it. */
export interface CallerOutcome {
  caller: string;
  /** HTTP status of each webhook (0: no answer at all, the connection failed). */
  statuses: number[];
  /** Every webhook of the call was answered 2xx: Leadline owes this caller one text. */
  answered: boolean;
  /** Milliseconds each webhook took. */
  durationsMs: number[];
}

/** Options of {@link missedCallBurst}. */
export interface BurstOptions {
  /** The tenant's Twilio number. */
  number: string;
  callers: string[];
  /** Calls in flight at once. Default 6. */
  concurrency?: number;
  /** Pause (ms) of each worker between its calls, to spread the burst over time. Default 0. */
  paceMs?: number;
  /**
   * Called once when `at` callers have started: the fault to inject mid-burst. The burst goes
   * on meanwhile, unless `run` takes a `begun` callback and `holdsBurst` is set: then callers
   * after the `at`-th wait until the fault calls `begun()` (the outage is real: a broker's
   * controlled shutdown takes seconds, longer than the rest of a burst), or until it ends.
   */
  fault?: { at: number; run: (begun: () => void) => Promise<void>; holdsBurst?: boolean };
}

/**
 * Drives a burst of missed calls as Twilio would: for each caller, `POST /twilio/voice`, then
 * the `<Dial action>` callback the TwiML names with `no-answer`. A webhook that fails to
 * connect is recorded with status 0 and its call goes no further (Twilio plays its error to
 * the caller). Resolves with every caller's outcome once the burst and the fault are done.
 */
export async function missedCallBurst(e: E2eEnv, options: BurstOptions): Promise<CallerOutcome[]> {
  const outcomes: CallerOutcome[] = [];
  let next = 0;
  let faultDone: Promise<void> = Promise.resolve();
  let markBegun = () => {};
  const faultBegun = new Promise<void>((resolve) => (markBegun = resolve));
  const post = async (path: string, params: Record<string, string>, outcome: CallerOutcome) => {
    const started = Date.now();
    try {
      const res = await e.webhooks.post(path, params);
      outcome.statuses.push(res.status);
      return res;
    } catch {
      outcome.statuses.push(0);
      return undefined;
    } finally {
      outcome.durationsMs.push(Date.now() - started);
    }
  };
  const worker = async () => {
    while (next < options.callers.length) {
      const index = next++;
      if (options.fault && index === options.fault.at) {
        faultDone = options.fault.run(markBegun).finally(markBegun);
      }
      if (options.fault?.holdsBurst && index > options.fault.at) await faultBegun;
      const caller = options.callers[index]!;
      const outcome: CallerOutcome = { caller, statuses: [], answered: false, durationsMs: [] };
      outcomes.push(outcome);
      const call = {
        callSid: newSid('CA'),
        accountSid: ACCOUNT_SID,
        from: caller,
        to: options.number,
      };
      const voice = await post('/twilio/voice', voiceCallParams(call), outcome);
      const action = voice?.status === 200 && /<Dial[^>]*action="([^"]+)"/.exec(voice.body)?.[1];
      if (!action) continue;
      const dial = await post(
        e.webhooks.relativeTo(action),
        dialActionParams(call, 'no-answer'),
        outcome,
      );
      outcome.answered = dial?.status === 200;
      if (options.paceMs) await sleep(options.paceMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 6 }, worker));
  await faultDone;
  return outcomes;
}

/** `count` distinct callers whose last four digits differ (owner alerts name them by those). */
export function distinctCallers(prefix: string, count: number, offset = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${prefix}${String(1000 + offset + i).padStart(4, '0')}`,
  );
}

/** Texts to each caller and alerts to the owner naming each caller, counted at the fake Twilio. */
export function countDeliveries(e: E2eEnv, owner: string, outcomes: CallerOutcome[]) {
  const alerts = e.twilio.to(owner);
  const rows = outcomes.map((o) => ({
    caller: o.caller,
    answered: o.answered,
    texts: e.twilio.to(o.caller).length,
    alerts: alerts.filter((m) => m.body.includes(`-${o.caller.slice(-4)}`)).length,
  }));
  const answered = rows.filter((r) => r.answered);
  return {
    rows,
    answered: answered.length,
    lost: answered.filter((r) => r.texts === 0 || r.alerts === 0).length,
    duplicateTexts: rows.filter((r) => r.texts > 1).length,
    duplicateAlerts: rows.filter((r) => r.alerts > 1).length,
    refused: outcomes.reduce((n, o) => n + o.statuses.filter((s) => s !== 200).length, 0),
  };
}
