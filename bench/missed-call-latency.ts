/**
 * Time from the missed-call webhook (the `<Dial action>` callback reporting no-answer) to the
 * text's request reaching Twilio, over 100 calls, on the embedded PostgreSQL.
 * Prints median, p90, p99 and worst. Run: `npm run bench:e2e` (about a minute).
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dialActionParams,
  TwilioWebhookClient,
  voiceCallParams,
} from '../src/cli/webhook-client.ts';
import {
  BENCH_ACCOUNT_SID,
  BENCH_AUTH_TOKEN,
  BENCH_NUMBER,
  startBenchService,
} from '../harness/bench-service.ts';

const CALLS = Number(process.env.CALLS ?? 100);
const { env, service, twilio, close } = await startBenchService();
try {
  const client = new TwilioWebhookClient(service.baseUrl, env.PUBLIC_BASE_URL!, BENCH_AUTH_TOKEN);
  const latencies: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const caller = `+1647555${String(1000 + i).padStart(4, '0')}`;
    const call = {
      callSid: `CA${String(i).padStart(32, '0')}`,
      accountSid: BENCH_ACCOUNT_SID,
      from: caller,
      to: BENCH_NUMBER,
    };
    const voice = await client.post('/twilio/voice', voiceCallParams(call));
    const action = /action="([^"]+)"/.exec(voice.body)![1]!;
    const before = twilio.to(caller).length;
    const start = Date.now();
    await client.post(client.relativeTo(action), dialActionParams(call, 'no-answer'));
    while (twilio.to(caller).length === before) await sleep(1);
    latencies.push(twilio.to(caller)[0]!.dateCreated.getTime() - start);
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  console.log(
    `missed-call webhook → Twilio request, ${CALLS} calls, embedded PostgreSQL, ${os.cpus().length} cores`,
  );
  console.log(
    `median ${q(0.5)} ms   p90 ${q(0.9)} ms   p99 ${q(0.99)} ms   worst ${latencies[latencies.length - 1]} ms   best ${latencies[0]} ms`,
  );
} finally {
  await close();
}
