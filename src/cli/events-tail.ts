import { Command, Option } from 'commander';
import { findTenant } from '../commands/register-tenant.ts';
import { eventSchemas, isEventType, type RecordedLeadlineEvent } from '../events/catalogue.ts';
import type { FollowOptions } from '../log/event-log.ts';
import { LeadlineError, ValidationError } from '../shared/errors.ts';
import { describeEvent, maskEvent } from './describe-event.ts';
import { runAction } from './run-action.ts';
import { wholeNumber } from './whole-number.ts';
import { withLog } from './with-log.ts';

/** Options of `leadline events tail`, as commander parses them. */
interface TailOptions {
  type?: string;
  tenant?: string;
  fromStart?: boolean;
  last?: number;
  json?: boolean;
  unmasked?: boolean;
}

/**
 * Parses `--type A,B`: event type names of the catalogue, comma-separated.
 * @throws ValidationError naming an unknown type and listing the known ones.
 */
export function parseEventTypes(value: string): string[] {
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (types.length === 0) throw new ValidationError('--type needs at least one event type');
  for (const type of types) {
    if (!isEventType(type)) {
      throw new ValidationError(
        `unknown event type "${type}"; known types: ${Object.keys(eventSchemas).join(', ')}`,
        'UNKNOWN_EVENT_TYPE',
      );
    }
  }
  return [...new Set(types)];
}

/**
 * One line of `events tail`: the four tab-separated columns of `events show` (position, time,
 * type, data), then the stream id; or the envelope as JSON. Masked unless `unmasked`.
 */
export function tailLine(event: RecordedLeadlineEvent, opts: TailOptions): string {
  const shown = opts.unmasked ? event : maskEvent(event);
  return opts.json ? JSON.stringify(shown) : `${describeEvent(shown)}\t${shown.streamId}`;
}

/**
 * `leadline events tail`: follows the log and prints each event as it is appended, filtered
 * by type and tenant, until SIGINT or SIGTERM (then exits 0). It is not a consumer: it
 * creates and moves no checkpoint (no consumer position of any log, no Kafka group
 * offset), so it is safe on production. Phone numbers are masked and message bodies
 * redacted unless `--unmasked`. A line on standard error says when it is following.
 */
export function eventsTailCommand(): Command {
  return new Command('tail')
    .description(
      'follow the log: print each event as it is appended (Ctrl-C to stop); moves no checkpoint',
    )
    .option(
      '--type <types>',
      'only these event types, comma-separated (e.g. SmsInbound,DialMissed)',
    )
    .option('--tenant <id|number>', "only this tenant's events (its id or Twilio number)")
    .addOption(new Option('--from-start', 'print the whole log first').conflicts('last'))
    .addOption(
      new Option('--last <n>', 'print the n newest matching events first')
        .argParser(wholeNumber(1, 1_000_000))
        .conflicts('fromStart'),
    )
    .option('--json', 'print each event as a JSON line, envelope and data')
    .option(
      '--unmasked',
      'print phone numbers, message bodies and media URLs as the log holds them',
    )
    .action(
      runAction(async (config, opts: TailOptions) => {
        const types = opts.type !== undefined ? parseEventTypes(opts.type) : undefined;
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stdout.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') stop(); // the reader went away (`| head`)
        });
        try {
          await withLog(config, async (ctx) => {
            if (!ctx.log.follow) {
              throw new LeadlineError(
                'FOLLOW_UNSUPPORTED',
                `the ${ctx.log.about.kind} log cannot be followed`,
                500,
              );
            }
            const tenantId = opts.tenant
              ? (await findTenant(ctx.db.pool, opts.tenant)).tenantId
              : undefined;
            const follow: FollowOptions = {
              from: opts.fromStart ? 'start' : opts.last ? { last: opts.last } : 'now',
              types,
              tenantId,
              onReady: () =>
                console.error(
                  `leadline: following the ${ctx.log.about.kind} log` +
                    (types ? ` (types ${types.join(', ')})` : '') +
                    (tenantId ? ` (tenant ${tenantId})` : '') +
                    '; Ctrl-C to stop',
                ),
            };
            await ctx.log.follow(
              follow,
              (event) => {
                if (!controller.signal.aborted) process.stdout.write(`${tailLine(event, opts)}\n`);
              },
              controller.signal,
            );
          });
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }),
    );
}
