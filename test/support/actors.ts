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
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    },
    /**
     * A text from `from` to the tenant number `to`, delivered `times` times with the same
     * `MessageSid` (Twilio's retries); @returns the `MessageSid`.
     */
    async sms(from: string, to: string, body: string, times = 1): Promise<string> {
      const params = inboundSmsParams({
        messageSid: newSid('SM'),
        accountSid: ACCOUNT_SID,
        from,
        to,
        body,
      });
      for (let i = 0; i < times; i++) {
        const res = await env().webhooks.post('/twilio/sms', params);
        expect(res.status).toBe(200);
      }
      return params.MessageSid!;
    },
    /**
     * A customer's call the owner does not answer, each webhook delivered `times` times (the
     * same `CallSid`); @returns the call and the TwiML answers.
     */
    async missedCall(from: string, to: string, times = 1) {
      const e = env();
      const c = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from, to };
      let voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      for (let i = 1; i < times; i++)
        voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      let dial = await e.webhooks.post(
        e.webhooks.relativeTo(action),
        dialActionParams(c, 'no-answer'),
      );
      for (let i = 1; i < times; i++) {
        dial = await e.webhooks.post(
          e.webhooks.relativeTo(action),
          dialActionParams(c, 'no-answer'),
        );
      }
      return { ...c, voice: voice.body, dial: dial.body };
    },
    /** `leadline keys create …`; @returns the key. */
    async createKey(...args: string[]): Promise<string> {
      const result = await runCli(['keys', 'create', ...args], env().env);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.trim();
    },
  };
}
