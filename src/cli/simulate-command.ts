import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { resolveSecrets } from '../config/local-secrets.ts';
import { toE164 } from '../shared/phone.ts';
import { runAction } from './run-action.ts';
import { wholeNumber } from './whole-number.ts';

/** `leadline simulate`. */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      'drive a running instance with realistic signed Twilio webhooks and print what happened',
    )
    .option('--url <base>', 'where the instance listens', 'http://localhost:3000')
    .requiredOption('--tenant-number <E.164>', "the tenant's Twilio number (the webhooks' To)")
    .option('--calls <n>', 'how many callers', wholeNumber(1, 1000), 4)
    .action(
      runAction(async (config, opts: { url: string; tenantNumber: string; calls: number }) => {
        const secrets = await resolveSecrets(config);
        const accountSid =
          config.twilio.accountSid ??
          `AC${createHash('sha256').update(secrets.webhookAuthToken).digest('hex').slice(0, 32)}`;
        const url = opts.url.replace(/\/+$/, '');
        const summary = await (
          await import('./simulator.ts')
        ).simulate({
          url,
          tenantNumber: toE164(opts.tenantNumber),
          calls: opts.calls,
          authToken: secrets.webhookAuthToken,
          accountSid,
          print: (line) => console.log(line),
        });
        console.log(
          `\n${summary.calls} calls: ${summary.answered} answered, ${summary.missed} missed, ${summary.afterHours} after hours; ` +
            `${summary.textsSent} lead texts, ${summary.stops} STOP.`,
        );
        await sleep(1_500); // let the worker catch up before reading the dashboard
        const response = await fetch(`${url}/api/v1/dashboard`, {
          headers: { authorization: `Bearer ${secrets.operatorApiKey}` },
        });
        if (response.ok) {
          const body = (await response.json()) as {
            tenants: Array<{
              tenant: { name: string; twilioNumber: string };
              totals: Record<string, unknown>;
            }>;
          };
          const mine = body.tenants.find(
            (t) => t.tenant.twilioNumber === toE164(opts.tenantNumber),
          );
          if (mine) console.log(`Dashboard of ${mine.tenant.name}: ${JSON.stringify(mine.totals)}`);
        } else {
          console.log(
            `(dashboard not shown: ${url}/api/v1/dashboard answered ${response.status}; is OPERATOR_API_KEY the same here?)`,
          );
        }
      }),
    );
}
