/**
 * Time from the missed-call webhook (the `<Dial action>` callback reporting no-answer) to the
 * text's request reaching Twilio, over 100 calls, on the embedded PostgreSQL.
 * Prints median, p90, p99 and worst. Run: `npm run bench:e2e` (about a minute).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dialActionParams,
  TwilioWebhookClient,
  voiceCallParams,
} from '../src/cli/webhook-client.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { FakeTwilio } from '../harness/fake-twilio.ts';
import { addBenchTenant } from '../harness/bench-tenant.ts';
import { freePort, ServiceProcess } from '../harness/service-process.ts';

const CALLS = Number(process.env.CALLS ?? 100);
const ACCOUNT_SID = 'AC' + 'b'.repeat(32);
const AUTH_TOKEN = 'c'.repeat(32);
const NUMBER = '+14165550100';

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-'));
const pg = await startEmbeddedPostgres(dir, 'bench', silentLogger);
const twilio = await new FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start();
const port = await freePort();
const env = {
  DATABASE_URL: pg.url,
  LEADLINE_DATA_DIR: dir,
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  TWILIO_ACCOUNT_SID: ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_API_URL: twilio.url,
  OPERATOR_API_KEY: 'bench-operator-key-000000',
  LOG_LEVEL: 'error',
};
const service = await new ServiceProcess(env).start();
try {
  await addBenchTenant(env, NUMBER);
  const client = new TwilioWebhookClient(service.baseUrl, env.PUBLIC_BASE_URL, AUTH_TOKEN);
  const latencies: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const caller = `+1647555${String(1000 + i).padStart(4, '0')}`;
    const call = {
      callSid: `CA${String(i).padStart(32, '0')}`,
      accountSid: ACCOUNT_SID,
      from: caller,
      to: NUMBER,
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
  await service.kill('SIGTERM');
  await twilio.stop();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
