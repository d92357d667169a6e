import { randomBytes } from 'node:crypto';
import { formatForPeople } from '../shared/phone.ts';
import {
  dialActionParams,
  inboundSmsParams,
  TwilioWebhookClient,
  voiceCallParams,
} from './webhook-client.ts';

/** One simulated caller's story. */
type Scenario = 'answered' | 'missed-then-text' | 'busy' | 'missed-then-stop';

const SCENARIOS: Scenario[] = ['answered', 'missed-then-text', 'busy', 'missed-then-stop'];

const LEAD_TEXTS = [
  'Hi, my water heater is leaking all over the basement. Can someone come today?',
  'Kitchen sink is backed up and won\u2019t drain. When is your next opening?',
  'Need a quote to replace a toilet, sometime next week is fine.',
];

/** Settings of {@link simulate}. */
export interface SimulateOptions {
  url: string;
  tenantNumber: string;
  calls: number;
  authToken: string;
  accountSid: string;
  /** Writes one line of the story. */
  print: (line: string) => void;
}

/** What the simulation did, for the caller to check. */
export interface SimulationSummary {
  calls: number;
  answered: number;
  missed: number;
  afterHours: number;
  textsSent: number;
  stops: number;
  rejected: number;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/**
 * Drives a running Leadline instance with realistic signed Twilio webhooks: `calls` callers
 * from fictional 555-01XX numbers, cycling through answered, missed-then-texts, busy and
 * missed-then-STOP. It follows the TwiML's `<Dial action>` URL as Twilio does, and signs over
 * the instance's advertised public base URL (from `/healthz`).
 *
 * @throws Error when the instance cannot be reached or refuses a signature (with the reason).
 */
export async function simulate(options: SimulateOptions): Promise<SimulationSummary> {
  const health = await fetch(`${options.url}/healthz`).catch((error: Error) => {
    throw new Error(`cannot reach ${options.url}: ${error.message}. Is "leadline serve" running?`);
  });
  const { publicBaseUrl } = (await health.json()) as { publicBaseUrl: string };
  const client = new TwilioWebhookClient(options.url, publicBaseUrl, options.authToken);
  const summary: SimulationSummary = {
    calls: 0,
    answered: 0,
    missed: 0,
    afterHours: 0,
    textsSent: 0,
    stops: 0,
    rejected: 0,
  };

  for (let i = 0; i < options.calls; i++) {
    const scenario = SCENARIOS[i % SCENARIOS.length]!;
    const from = `+1312555${String(100 + (i % 100)).padStart(4, '0')}`; // 555-0100…0199: fictional
    const call = {
      callSid: sid('CA'),
      accountSid: options.accountSid,
      from,
      to: options.tenantNumber,
    };
    const who = formatForPeople(from);
    const answer = await client.post('/twilio/voice', voiceCallParams(call));
    summary.calls++;
    if (answer.status === 403) {
      throw new Error(
        `the instance refused the signature (403). It validates against PUBLIC_BASE_URL=${publicBaseUrl} ` +
          'with TWILIO_AUTH_TOKEN or the token in its data directory: run simulate with the same environment.',
      );
    }
    if (answer.status !== 200)
      throw new Error(`POST /twilio/voice answered ${answer.status}: ${answer.body}`);
    if (/not in service/i.test(answer.body)) {
      summary.rejected++;
      options.print(
        `call ${i + 1} from ${who}: ${options.tenantNumber} belongs to no tenant (rejected)`,
      );
      continue;
    }
    const action = /<Dial[^>]*\saction="([^"]+)"/.exec(answer.body)?.[1];
    let missed = true;
    if (action) {
      const status =
        scenario === 'answered' ? 'completed' : scenario === 'busy' ? 'busy' : 'no-answer';
      const dial = await client.post(
        client.relativeTo(action),
        dialActionParams(call, status, status === 'completed' ? 42 : 0),
      );
      if (dial.status !== 200) throw new Error(`Dial action answered ${dial.status}: ${dial.body}`);
      missed = status !== 'completed';
      if (missed) summary.missed++;
      else summary.answered++;
      options.print(
        `call ${i + 1} from ${who}: rang the owner, ${missed ? `${status} → caller texted, owner alerted` : 'answered'}`,
      );
    } else {
      summary.afterHours++;
      options.print(
        `call ${i + 1} from ${who}: after hours → notice played, caller texted, owner alerted`,
      );
    }
    if (!missed) continue;
    const text = (body: string, media: Array<{ url: string; contentType: string }> = []) => {
      const messageSid = sid(media.length > 0 ? 'MM' : 'SM');
      return client.post(
        '/twilio/sms',
        inboundSmsParams({
          messageSid,
          accountSid: options.accountSid,
          from,
          to: options.tenantNumber,
          body,
          // Twilio's media URL form; Leadline records it and never fetches it.
          media: media.map((m) => ({
            ...m,
            url: `https://api.twilio.com/2010-04-01/Accounts/${options.accountSid}/Messages/${messageSid}/Media/${sid('ME')}`,
          })),
        }),
      );
    };
    if (scenario === 'missed-then-text') {
      const body = LEAD_TEXTS[i % LEAD_TEXTS.length]!;
      // The first lead's text carries a photo, as customers often send one of the leak.
      const photo = i % LEAD_TEXTS.length === 0;
      await text(body, photo ? [{ url: '', contentType: 'image/jpeg' }] : []);
      summary.textsSent++;
      options.print(
        `  ${who} texted: "${body}"${photo ? ' with a photo' : ''} → acknowledged, owner alerted`,
      );
    }
    if (scenario === 'missed-then-stop') {
      await text('STOP');
      summary.stops++;
      options.print(`  ${who} texted STOP → opted out, confirmed once`);
    }
  }
  return summary;
}
