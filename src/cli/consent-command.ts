import { Command, Option } from 'commander';
import { pipeline } from 'node:stream/promises';
import { findTenant } from '../commands/register-tenant.ts';
import { recordConsentGrant, recordConsentRevocation } from '../commands/record-consent.ts';
import {
  consentHistory,
  exportLedger,
  parseInstant,
  tenantsWithChains,
  verifyTenantChain,
  type LedgerEntry,
} from '../consent/index.ts';
import { systemClock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { toE164 } from '../shared/phone.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** One history line for people: `seq  when  GRANTED express (keyword)  until …  evidence`. */
function describe(entry: LedgerEntry): string {
  const what =
    entry.kind === 'granted'
      ? `GRANTED ${entry.basis} (${entry.source})${entry.expiresAt ? ` until ${entry.expiresAt}` : ''}`
      : `REVOKED (${entry.channel})${entry.text ? ` "${entry.text}"` : ''}`;
  const evidence = Object.entries(entry.evidence)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    entry.seq,
    entry.occurredAt,
    what,
    evidence,
    `log ${entry.logPosition}`,
    entry.recordHash.slice(0, 12),
  ].join('\t');
}

/** `leadline consent history|export|verify|grant`. */
export function consentCommand(): Command {
  const consent = new Command('consent').description(
    'the consent ledger: history, point-in-time answers, exports and tamper evidence',
  );

  consent
    .command('history')
    .description("a number's full consent history, oldest first, with evidence and log positions")
    .argument('<phone>', 'the phone number')
    .option('--tenant <id|number>', 'one tenant (default: every tenant)')
    .option('--json', 'print JSON lines')
    .action(
      runAction(async (config, phone: string, opts: { tenant?: string; json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const tenantId = opts.tenant
            ? (await findTenant(ctx.db.pool, opts.tenant)).tenantId
            : undefined;
          const entries = await consentHistory(ctx.db.pool, toE164(phone), tenantId);
          if (entries.length === 0) console.error('(no consent records for this number)');
          let tenant: string | undefined;
          for (const entry of entries) {
            if (opts.json) {
              console.log(JSON.stringify(entry));
              continue;
            }
            if (entry.tenantId !== tenant) console.log(`# tenant ${(tenant = entry.tenantId)}`);
            console.log(describe(entry));
          }
        });
      }),
    );

  consent
    .command('export')
    .description('stream the ledger as CSV or NDJSON to standard output')
    .option('--tenant <id|number>', 'one tenant (default: every tenant)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('ndjson'),
    )
    .option('--from <ISO-8601>', 'records that occurred at or after')
    .option('--to <ISO-8601>', 'records that occurred before')
    .action(
      runAction(
        async (
          config,
          opts: { tenant?: string; format: 'csv' | 'ndjson'; from?: string; to?: string },
        ) => {
          const from = parseInstant('--from', opts.from);
          const to = parseInstant('--to', opts.to);
          await withLog(config, async (ctx) => {
            const tenantId = opts.tenant
              ? (await findTenant(ctx.db.pool, opts.tenant)).tenantId
              : undefined;
            const { output, done } = exportLedger(
              await ctx.db.pool.connect(),
              { tenantId, from, to },
              opts.format,
            );
            await Promise.all([pipeline(output, process.stdout), done]);
          });
        },
      ),
    );

  consent
    .command('verify')
    .description(
      'recompute every tenant’s hash chain from the ledger and from the log; exit 1 naming the first record that differs',
    )
    .option('--tenant <id|number>', 'one tenant (default: every tenant)')
    .action(
      runAction(async (config, opts: { tenant?: string }) => {
        let failed = false;
        await withLog(config, async (ctx) => {
          const tenants = opts.tenant
            ? [(await findTenant(ctx.db.pool, opts.tenant)).tenantId]
            : await tenantsWithChains(ctx.db.pool);
          for (const tenantId of tenants) {
            const report = await verifyTenantChain(ctx.db.pool, ctx.log, tenantId);
            if (report.ok) {
              console.log(
                `ok\t${tenantId}\t${report.records} records, chain intact and matching the log`,
              );
            } else {
              failed = true;
              const p = report.problem!;
              console.log(
                `FAILED\t${tenantId}\trecord ${p.seq}${p.eventId ? ` (event ${p.eventId})` : ''}: ${p.reason}`,
              );
            }
          }
        });
        if (failed) process.exit(1);
      }),
    );

  consent
    .command('grant')
    .description(
      'record consent given outside texts and calls: a signed form, an import, a job done',
    )
    .requiredOption('--tenant <id|number>', 'tenant id or its Twilio number')
    .requiredOption('--phone <number>', "the customer's number")
    .addOption(
      new Option(
        '--basis <basis>',
        'express (form, import) or implied-business-relationship (a job done or quoted)',
      )
        .choices(['express', 'implied-business-relationship'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--source <source>', 'how it was obtained')
        .choices(['form', 'import', 'owner'])
        .makeOptionMandatory(),
    )
    .requiredOption('--evidence <key=value...>', 'what proves it, e.g. form=F-1042 or invoice=2211')
    .action(
      runAction(
        async (
          config,
          opts: {
            tenant: string;
            phone: string;
            basis: 'express' | 'implied-business-relationship';
            source: 'form' | 'import' | 'owner';
            evidence: string[];
          },
        ) => {
          const evidence = parseEvidence(opts.evidence);
          await withLog(config, async (ctx) => {
            const tenant = await findTenant(ctx.db.pool, opts.tenant);
            const result = await recordConsentGrant(
              tenant,
              { phone: opts.phone, basis: opts.basis, source: opts.source, evidence },
              { log: ctx.log, clock: systemClock, db: ctx.db.pool },
            );
            console.log(result.eventId);
            console.error(
              `(${opts.basis} consent for ${result.phone} recorded${result.expiresAt ? `, until ${result.expiresAt}` : ''})`,
            );
          });
        },
      ),
    );
  consent
    .command('revoke')
    .description(
      'record a revocation made outside texts: asked in person or by phone, or an import',
    )
    .requiredOption('--tenant <id|number>', 'tenant id or its Twilio number')
    .requiredOption('--phone <number>', "the customer's number")
    .addOption(
      new Option('--channel <channel>', 'how it arrived')
        .choices(['owner', 'import'])
        .makeOptionMandatory(),
    )
    .requiredOption('--evidence <key=value...>', 'what proves it, e.g. requestedBy=phone-call')
    .action(
      runAction(
        async (
          config,
          opts: { tenant: string; phone: string; channel: 'owner' | 'import'; evidence: string[] },
        ) => {
          const evidence = parseEvidence(opts.evidence);
          await withLog(config, async (ctx) => {
            const tenant = await findTenant(ctx.db.pool, opts.tenant);
            const result = await recordConsentRevocation(
              tenant,
              { phone: opts.phone, channel: opts.channel, evidence },
              { log: ctx.log, clock: systemClock, db: ctx.db.pool },
            );
            console.log(result.eventId);
            console.error(
              `(consent of ${result.phone} revoked; nothing more will be texted to it)`,
            );
          });
        },
      ),
    );
  return consent;
}

/**
 * `key=value` pairs as an object.
 * @throws ValidationError (`INVALID_EVIDENCE`) naming a pair without `=`.
 */
function parseEvidence(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1)
        throw new ValidationError(`evidence "${pair}" is not key=value`, 'INVALID_EVIDENCE');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
