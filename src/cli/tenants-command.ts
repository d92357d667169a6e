import { Command } from 'commander';
import { registerTenant } from '../commands/register-tenant.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { systemClock } from '../shared/clock.ts';
import { formatForPeople } from '../shared/phone.ts';
import { runAction } from './run-action.ts';
import { wholeNumber } from './whole-number.ts';
import { withLog } from './with-log.ts';

/** `leadline tenants add|list`. */
export function tenantsCommand(): Command {
  const tenants = new Command('tenants').description('register and list plumbing businesses');

  tenants
    .command('add')
    .description('register a business; idempotent on its Twilio number; prints the tenant id')
    .requiredOption('--name <text>', 'business name, as customers know it')
    .requiredOption('--twilio-number <E.164>', 'the Twilio number customers call and text')
    .requiredOption('--owner-phone <E.164>', 'rung in business hours; receives alerts')
    .requiredOption('--timezone <IANA>', 'e.g. America/Toronto')
    .option('--business-hours <HH:MM-HH:MM>', 'local business hours', '07:00-17:00')
    .option('--emergency-phone <E.164>', 'on-call phone for after-hours emergencies')
    .option(
      '--voicemail-threshold <seconds>',
      'a forwarded call "completed" in fewer seconds counts as missed (your voicemail answered); 0 turns it off',
      wholeNumber(0, 120),
      10,
    )
    .option(
      '--daily-quota <texts>',
      'texts to customers per local day; beyond it they stop and you are alerted once',
      wholeNumber(0, 100_000),
      200,
    )
    .option('--json', 'print the tenant as JSON')
    .action(
      runAction(async (config, opts: Record<string, string | boolean | undefined>) => {
        await withLog(config, async (ctx) => {
          const result = await registerTenant(
            {
              name: String(opts.name),
              twilioNumber: String(opts.twilioNumber),
              ownerPhone: String(opts.ownerPhone),
              timezone: String(opts.timezone),
              businessHours: opts.businessHours as string | undefined,
              emergencyPhone: opts.emergencyPhone as string | undefined,
              voicemailThresholdSeconds: opts.voicemailThreshold as unknown as number,
              dailyQuota: opts.dailyQuota as unknown as number,
            },
            { log: ctx.log, db: ctx.db.pool, clock: systemClock },
          );
          if (opts.json) {
            console.log(JSON.stringify({ ...result.tenant, created: result.created }));
          } else {
            console.log(result.tenant.tenantId);
            if (!result.created) {
              console.error(
                `(${formatForPeople(result.tenant.twilioNumber)} was already registered to "${result.tenant.name}"; nothing changed)`,
              );
            }
          }
        });
      }),
    );

  tenants
    .command('list')
    .description('list registered businesses')
    .option('--json', 'print JSON lines')
    .action(
      runAction(async (config, opts: { json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const all = await tenantDirectory.list(ctx.db.pool);
          if (opts.json) {
            for (const t of all) console.log(JSON.stringify(t));
            return;
          }
          if (all.length === 0) {
            console.log('No tenants yet. Add one with: leadline tenants add --help');
            return;
          }
          for (const t of all) {
            console.log(
              [
                t.tenantId,
                t.name,
                t.twilioNumber,
                `owner ${t.ownerPhone}`,
                t.timezone,
                `${t.businessHours.start}-${t.businessHours.end}`,
              ].join('\t'),
            );
          }
        });
      }),
    );
  return tenants;
}
