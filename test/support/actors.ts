import { expect } from 'vitest';
import {
  dialActionParams,
  inboundSmsParams,
  voiceCallParams,
} from '../../src/cli/webhook-client.ts';
import { ACCOUNT_SID, newSid, type E2eEnv } from './e2e-env.ts';
import { runCli } from '../../harness/service-process.ts';

/**
 * The people and tools an end-to-end test plays, against one running service: a customer
 * calling or texting through signed webhooks, an API client with a key, an operator creating
 * keys with the CLI.
 */
export function actors(env: () => E2eEnv) {
  return {
    /** A request to `/api/v1<path>` with `key` as bearer (none when undefined). */
    api(path: string, key: string | undefined, init: RequestInit = {}): Promise<Response> {
      return fetch(`${env().service.baseUrl}/api/v1${path}`, {
        ...init,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
    },
    /** A customer's text from `from` to the tenant number `to`. */
    async sms(from: string, to: string, body: string): Promise<void> {
      const res = await env().webhooks.post(
        '/twilio/sms',
        inboundSmsParams({ messageSid: newSid('SM'), accountSid: ACCOUNT_SID, from, to, body }),
      );
      expect(res.status).toBe(200);
    },
    /** A customer's call the owner does not answer; @returns the call. */
    async missedCall(from: string, to: string) {
      const e = env();
      const c = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from, to };
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      await e.webhooks.post(e.webhooks.relativeTo(action), dialActionParams(c, 'no-answer'));
      return c;
    },
    /** `leadline keys create …`; @returns the key. */
    async createKey(...args: string[]): Promise<string> {
      const result = await runCli(['keys', 'create', ...args], env().env);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.trim();
    },
  };
}
