import { Command, InvalidArgumentError, Option } from 'commander';
import {
  configureTenant,
  findTenant,
  registerTenant,
  type RegisterTenantInput,
} from '../commands/register-tenant.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { systemClock } from '../shared/clock.ts';
import { formatForPeople } from '../shared/phone.ts';
import type { TenantSettingsInput } from '../tenants/tenant-changes.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { runAction } from './run-action.ts';
import { wholeNumber } from './whole-number.ts';
import { withLog } from './with-log.ts';

type Opts = Record<string, string | boolean | number | undefined>;

/** `on|off` for commander. */
const onOff = (value: string): boolean => {
  if (/^(on|yes|true)$/i.test(value)) return true;
  if (/^(off|no|false)$/i.test(value)) return false;
  throw new InvalidArgumentError('must be on or off');
};

/** Options shared by `tenants add` and `tenants update` (no defaults: update changes only what is given). */
function settingsOptions(command: Command): Command {
  return command
    .option('--business-hours <HH:MM-HH:MM>', 'local hours of any weekday without its own')
    .option(
      '--weekly-hours <days=hours,…>',
      'per-weekday hours, e.g. "mon-fri=07:00-17:00,sat=09:00-12:00,sun=closed"; "" clears',
    )
    .option(
      '--evening-until <HH:MM|none>',
      'after closing, calls still ring you until this local time',
    )
    .option('--closed <YYYY-MM-DD,…>', 'holidays: closed all day; "" clears')
    .option('--emergency-phone <E.164|none>', 'on-call phone for after-hours emergencies')
    .addOption(
      new Option('--emergency-mode <on|off>', 'after hours: "press 1 for an emergency"').argParser(
        onOff,
      ),
    )
    .addOption(
      new Option(
        '--call-screening <on|off>',
        'whisper "press 1 to take this call" to you first: your voicemail can never take a lead',
      ).argParser(onOff),
    )
    .option('--review-link <URL|none>', 'where happy customers leave a review')
    .option(
      '--voicemail-threshold <seconds>',
      'a forwarded call "completed" in fewer seconds counts as missed (your voicemail answered); 0 turns it off',
      wholeNumber(0, 120),
    )
    .option(
      '--daily-quota <texts>',
      'texts to customers per local day; beyond it they stop and you are alerted once',
      wholeNumber(0, 100_000),
    )
    .option('--owner-alert-cap <texts>', 'alerts to you per local day', wholeNumber(0, 10_000))
    .option(
      '--alert-debounce <seconds>',
      "one alert for a lead's texts this close together; 0 alerts at once",
      wholeNumber(0, 3_600),
    )
    .option(
      '--alert-max-wait <seconds>',
      'the longest a grouped alert waits',
      wholeNumber(0, 86_400),
    )
    .option(
      '--quiet-hours-allowed <HH:MM-HH:MM>',
      'when non-urgent texts may reach customers, in their local time (default 08:00-21:00)',
    )
    .option(
      '--staff-phones <E.164,…>',
      'your people\'s phones besides the owner\'s: never leads; their texts to the business number are relayed to leads; "" clears',
    )
    .option(
      '--takeover-window <seconds>',
      'the missed-call text waits this long for you to reply or call back first (default 0)',
      wholeNumber(0, 3_600),
    )
    .option(
      '--takeover-quiet <hours>',
      'after you reply to a lead, automatic texts to them stop until the conversation is quiet this long (default 24)',
      wholeNumber(1, 24 * 30),
    )
    .addOption(
      new Option(
        '--voicemail <on|off>',
        'after the missed-call message, callers may leave a voicemail; you get its transcript',
      ).argParser(onOff),
    )
    .option(
      '--voicemail-wait <seconds>',
      "how long a missed call's alert waits for the voicemail transcript (default 60)",
      wholeNumber(0, 600),
    )
    .option(
      '--language <en|fr>',
      'the language customers are texted in until they write in another (default en)',
    )
    .option(
      '--service-area <prefixes>',
      'postal-code prefixes you serve, e.g. M4C,M4E or 021,90210; none = everywhere',
    )
    .option(
      '--qualifying-questions <n>',
      'the most questions the assistant asks a lead before you call (default 3; 0 = off)',
      wholeNumber(0, 10),
    );
}

/** The settings an operator gave on the command line. */
function settingsFrom(opts: Opts): TenantSettingsInput {
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  const bool = (v: unknown) => (v === undefined ? undefined : Boolean(v));
  return {
    businessHours: text(opts.businessHours),
    weeklyHours: text(opts.weeklyHours),
    eveningUntil: text(opts.eveningUntil),
    closedDates: text(opts.closed),
    emergencyPhone: text(opts.emergencyPhone),
    emergencyMode: bool(opts.emergencyMode),
    callScreening: bool(opts.callScreening),
    reviewLink: text(opts.reviewLink),
    voicemailThresholdSeconds: num(opts.voicemailThreshold),
    dailyQuota: num(opts.dailyQuota),
    ownerAlertCap: num(opts.ownerAlertCap),
    alertDebounceSeconds: num(opts.alertDebounce),
    alertMaxWaitSeconds: num(opts.alertMaxWait),
    quietHoursAllowed: text(opts.quietHoursAllowed),
    staffPhones: text(opts.staffPhones),
    takeoverWindowSeconds: num(opts.takeoverWindow),
    takeoverQuietHours: num(opts.takeoverQuiet),
    voicemail: bool(opts.voicemail),
    voicemailWaitSeconds: num(opts.voicemailWait),
    language: text(opts.language),
    serviceArea: text(opts.serviceArea),
    qualifyingQuestions: num(opts.qualifyingQuestions),
    name: text(opts.name),
    ownerPhone: text(opts.ownerPhone),
    timezone: text(opts.timezone),
  };
}

/** A tenant's schedule for people: `mon-fri 07:00-17:00 …`. */
function describeHours(t: Tenant): string {
  const parts = [`${t.businessHours.start}-${t.businessHours.end}`];
  for (const [day, hours] of Object.entries(t.weeklyHours)) {
    parts.push(`${day} ${hours ? `${hours.start}-${hours.end}` : 'closed'}`);
  }
  if (t.eveningUntil) parts.push(`evening until ${t.eveningUntil}`);
  if (t.closedDates.length) parts.push(`closed ${t.closedDates.join(',')}`);
  return parts.join('; ');
}

/** `leadline tenants add|update|show|list`. */
export function tenantsCommand(): Command {
  const tenants = new Command('tenants').description('register, configure and list businesses');

  settingsOptions(
    tenants
      .command('add')
      .description('register a business; idempotent on its Twilio number; prints the tenant id')
      .requiredOption('--name <text>', 'business name, as customers know it')
      .requiredOption('--twilio-number <E.164>', 'the Twilio number customers call and text')
      .requiredOption('--owner-phone <E.164>', 'rung in business hours; receives alerts')
      .requiredOption('--timezone <IANA>', 'e.g. America/Toronto'),
  )
    .option('--json', 'print the tenant as JSON')
    .action(
      runAction(async (config, opts: Opts) => {
        await withLog(config, async (ctx) => {
          const input = {
            ...settingsFrom(opts),
            twilioNumber: String(opts.twilioNumber),
          } as RegisterTenantInput;
          const result = await registerTenant(input, {
            log: ctx.log,
            db: ctx.db.pool,
            clock: systemClock,
          });
          if (opts.json) {
            console.log(JSON.stringify({ ...result.tenant, created: result.created }));
          } else {
            console.log(result.tenant.tenantId);
            if (!result.created) {
              console.error(
                `(${formatForPeople(result.tenant.twilioNumber)} was already registered to "${result.tenant.name}"; nothing changed; use tenants update to change it)`,
              );
            }
          }
        });
      }),
    );

  settingsOptions(
    tenants
      .command('update')
      .description('change a business’s settings (records TenantConfigured); only what you give')
      .argument('<tenant>', 'tenant id or its Twilio number')
      .option('--name <text>', 'business name')
      .option('--owner-phone <E.164>', 'rung in business hours; receives alerts')
      .option('--timezone <IANA>', 'e.g. America/Toronto'),
  )
    .option('--json', 'print the tenant as JSON')
    .action(
      runAction(async (config, tenant: string, opts: Opts) => {
        await withLog(config, async (ctx) => {
          const result = await configureTenant(tenant, settingsFrom(opts), {
            log: ctx.log,
            db: ctx.db.pool,
            clock: systemClock,
          });
          if (opts.json) {
            console.log(JSON.stringify({ ...result.tenant, changed: result.changed }));
          } else if (result.changed.length === 0) {
            console.log(`${result.tenant.name}: nothing to change`);
          } else {
            console.log(`${result.tenant.name}: changed ${result.changed.join(', ')}`);
          }
        });
      }),
    );

  tenants
    .command('show')
    .description("print one business's configuration as JSON")
    .argument('<tenant>', 'tenant id or its Twilio number')
    .action(
      runAction(async (config, tenant: string) => {
        await withLog(config, async (ctx) => {
          console.log(JSON.stringify(await findTenant(ctx.db.pool, tenant), null, 2));
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
                describeHours(t),
              ].join('\t'),
            );
          }
        });
      }),
    );
  return tenants;
}
