import { setTimeout as sleep } from 'node:timers/promises';
import {
  dialActionParams,
  type TwilioWebhookClient,
  voiceCallParams,
} from '../src/cli/webhook-client.ts';
import type { FakeTwilio } from './fake-twilio.ts';

/** Quantiles of a set of latencies (ms). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  worst: number;
  best: number;
}

/** p50, p90, p99, worst and best of `latencies` (ms). */
export function summarise(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return {
    count: sorted.length,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    worst: sorted[sorted.length - 1]!,
    best: sorted[0]!,
  };
}

/**
 * Places `calls` missed calls one after another, as Twilio reports them (the incoming-call
 * webhook, then the `<Dial action>` callback with `no-answer`), and measures for each the time
 * from the missed-call callback to the text's request reaching the Twilio stand-in (ms).
 * Callers are `<callerPrefix>NNNN` from `firstCaller` on (a caller each, never texted before).
 * @throws Error when a call's text has not reached the stand-in within 60 s.
 */
export async function probeMissedCalls(options: {
  client: TwilioWebhookClient;
  twilio: FakeTwilio;
  accountSid: string;
  to: string;
  calls: number;
  firstCaller: number;
  /** The callers' numbers before their 4-digit index (default `+1647555`). */
  callerPrefix?: string;
  /**
   * Told of each call once its text reached the stand-in: the caller, when the missed-call
   * callback was sent and when the text's request arrived (ms since the epoch).
   */
  onCall?: (call: { caller: string; sentAt: number; textAt: number }) => void;
}): Promise<number[]> {
  const { client, twilio } = options;
  const latencies: number[] = [];
  for (let i = 0; i < options.calls; i++) {
    const n = options.firstCaller + i;
    const caller = `${options.callerPrefix ?? '+1647555'}${String(n).padStart(4, '0')}`;
    const call = {
      callSid: `CA${String(n).padStart(32, '0')}`,
      accountSid: options.accountSid,
      from: caller,
      to: options.to,
    };
    const voice = await client.post('/twilio/voice', voiceCallParams(call));
    const action = /action="([^"]+)"/.exec(voice.body)![1]!;
    const before = twilio.to(caller).length;
    const start = Date.now();
    await client.post(client.relativeTo(action), dialActionParams(call, 'no-answer'));
    const deadline = start + 60_000;
    while (twilio.to(caller).length === before) {
      // A text withheld (an opted-out caller, a quota) never reaches Twilio: say so.
      if (Date.now() > deadline) throw new Error(`no text reached Twilio for ${caller} in 60 s`);
      await sleep(1);
    }
    const textAt = twilio.to(caller)[0]!.dateCreated.getTime();
    latencies.push(textAt - start);
    options.onCall?.({ caller, sentAt: start, textAt });
  }
  return latencies;
}
