import { Command } from 'commander';
import { findTenant } from '../commands/register-tenant.ts';
import { requestReview } from '../commands/request-review.ts';
import { systemClock } from '../shared/clock.ts';
import { formatForPeople } from '../shared/phone.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** `leadline reviews request`. */
export function reviewsCommand(): Command {
  const reviews = new Command('reviews').description('ask customers how a job went');
  reviews
    .command('request')
    .description(
      'text a customer asking how the job went; a good reply gets your review link, a bad one an apology and an URGENT alert to you',
    )
    .requiredOption('--tenant <id|number>', 'tenant id or its Twilio number')
    .requiredOption('--phone <number>', "the customer's phone number")
    .option('--note <text>', 'what the job was, for your records (never sent)')
    .action(
      runAction(async (config, opts: { tenant: string; phone: string; note?: string }) => {
        await withLog(config, async (ctx) => {
          const tenant = await findTenant(ctx.db.pool, opts.tenant);
          const result = await requestReview(
            tenant,
            { phone: opts.phone, requestedBy: 'cli', note: opts.note ?? null },
            { log: ctx.log, clock: systemClock },
          );
          console.log(result.requestId);
          console.error(
            `(review request for ${formatForPeople(result.phone)} recorded; ${tenant.name}'s worker sends it, in the customer's daytime)`,
          );
        });
      }),
    );
  return reviews;
}
