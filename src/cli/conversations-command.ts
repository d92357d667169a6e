import { Command } from 'commander';
import { findTenant } from '../commands/register-tenant.ts';
import { resumeAutomation } from '../commands/resume-automation.ts';
import { systemClock } from '../shared/clock.ts';
import { formatForPeople } from '../shared/phone.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** `leadline conversations resume`. */
export function conversationsCommand(): Command {
  const conversations = new Command('conversations').description(
    'hand conversations between your people and automation',
  );
  conversations
    .command('resume')
    .description(
      'after you replied to a lead (which silences automatic texts to them), let automation answer them again',
    )
    .requiredOption('--tenant <id|number>', 'tenant id or its Twilio number')
    .requiredOption('--phone <number>', "the lead's phone number")
    .action(
      runAction(async (config, opts: { tenant: string; phone: string }) => {
        await withLog(config, async (ctx) => {
          const tenant = await findTenant(ctx.db.pool, opts.tenant);
          const result = await resumeAutomation(
            tenant,
            { phone: opts.phone, resumedBy: 'cli' },
            { log: ctx.log, clock: systemClock },
          );
          console.log(result.eventId);
          console.error(
            `(automatic texts to ${formatForPeople(result.phone)} resume with their next message or call)`,
          );
        });
      }),
    );
  return conversations;
}
