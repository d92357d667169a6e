/**
 * Time from the missed-call webhook (the `<Dial action>` callback reporting no-answer) to the
 * text's request reaching Twilio, over 100 calls, on the embedded PostgreSQL.
 * Prints median, p90, p99 and worst. Run: `npm run bench:e2e` (about a minute).
 */
import os from 'node:os';
import { TwilioWebhookClient } from '../src/cli/webhook-client.ts';
import {
  BENCH_ACCOUNT_SID,
  BENCH_AUTH_TOKEN,
  BENCH_NUMBER,
  startBenchService,
} from '../harness/bench-service.ts';
import { probeMissedCalls, summarise } from '../harness/missed-call-probe.ts';
import { benchCompiledService } from '../harness/compiled-build.ts';

await benchCompiledService();

const CALLS = Number(process.env.CALLS ?? 100);
const { env, service, twilio, close } = await startBenchService();
try {
  const client = new TwilioWebhookClient(service.baseUrl, env.PUBLIC_BASE_URL!, BENCH_AUTH_TOKEN);
  const s = summarise(
    await probeMissedCalls({
      client,
      twilio,
      accountSid: BENCH_ACCOUNT_SID,
      to: BENCH_NUMBER,
      calls: CALLS,
      firstCaller: 1000,
    }),
  );
  console.log(
    `missed-call webhook → Twilio request, ${CALLS} calls, embedded PostgreSQL, ${os.cpus().length} cores`,
  );
  console.log(
    `median ${s.p50} ms   p90 ${s.p90} ms   p99 ${s.p99} ms   worst ${s.worst} ms   best ${s.best} ms`,
  );
} finally {
  await close();
}
