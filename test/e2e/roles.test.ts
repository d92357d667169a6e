import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialActionParams, voiceCallParams } from '../../src/cli/webhook-client.ts';
import { ACCOUNT_SID, e2eBackends, newSid, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { freePort, ServiceProcess } from '../../harness/service-process.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550130';
const OWNER = '+14165550139';

describe.each(e2eBackends())(
  'serve --role api and two --role worker processes, on the $backend log',
  ({ env }) => {
    let e: E2eEnv;
    const workers: ServiceProcess[] = [];
    let callerSeq = 0;
    const nextCaller = () => `+1289555${String(100 + ++callerSeq).padStart(4, '0')}`;

    beforeAll(async () => {
      // The fixture's own process becomes the api; workers are started by the tests.
      e = await startE2eEnv(env, ['serve', '--role', 'api']);
      await e.addTenant({ name: 'Split Roles Plumbing', number: NUMBER, owner: OWNER });
    });
    afterAll(async () => {
      for (const w of workers) await w.kill('SIGTERM');
      await e?.close();
    });

    async function missedCall(caller: string) {
      const c = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from: caller, to: NUMBER };
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      expect(voice.status).toBe(200);
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      const dial = await e.webhooks.post(
        e.webhooks.relativeTo(action),
        dialActionParams(c, 'no-answer'),
      );
      expect(dial.status).toBe(200);
    }

    const startWorker = async () => {
      const worker = new ServiceProcess({ ...e.env, PORT: String(await freePort()) }, [
        'serve',
        '--role',
        'worker',
      ]);
      workers.push(await worker.start());
      return worker;
    };

    it('the api process alone accepts webhooks but sends nothing; workers then send each text once', async () => {
      const callers = [nextCaller(), nextCaller(), nextCaller()];
      for (const caller of callers) await missedCall(caller);
      await sleep(1_500);
      expect(e.twilio.messages).toHaveLength(0);
      const health = await fetch(`${e.service.baseUrl}/readyz`);
      expect(health.status).toBe(200);

      const [first] = [await startWorker(), await startWorker()];
      // A worker serves health checks only: no webhooks there.
      const onWorker = await fetch(`${first!.baseUrl}/twilio/voice`, { method: 'POST' });
      expect(onWorker.status).toBe(404);
      expect((await fetch(`${first!.baseUrl}/readyz`)).status).toBe(200);

      await waitUntilSettled(e.databaseUrl);
      for (const caller of callers) expect(e.twilio.to(caller)).toHaveLength(1);
      expect(e.twilio.to(OWNER)).toHaveLength(3);
    });

    it('when one worker is killed, the other carries on and nothing is sent twice', async () => {
      await workers[0]!.kill('SIGKILL');
      const callers = Array.from({ length: 6 }, nextCaller);
      for (const caller of callers) await missedCall(caller);
      await waitUntilSettled(e.databaseUrl, undefined, 60_000);
      for (const caller of callers) expect(e.twilio.to(caller)).toHaveLength(1);
      expect(e.twilio.to(OWNER)).toHaveLength(9);
    });
  },
);
