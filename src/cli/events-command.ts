import { Command } from 'commander';
import { NotFoundError } from '../shared/errors.ts';
import { describeEvent } from './describe-event.ts';
import { eventsTailCommand } from './events-tail.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** `leadline events show` and `events tail` (see `events-tail.ts`). */
export function eventsCommand(): Command {
  const events = new Command('events').description('read the log');
  events
    .command('show')
    .description(
      "a stream's events, oldest first, e.g. lead:<tenantId>:<E.164> or tenant:<tenantId>",
    )
    .argument('<streamId>', 'the stream')
    .option('--json', 'print each event as a JSON line, envelope and data')
    .action(
      runAction(async (config, streamId: string, opts: { json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const found = await ctx.log.read(streamId);
          if (found.length === 0) {
            throw new NotFoundError(
              `no events in stream "${streamId}" (lead streams are lead:<tenantId>:<E.164>)`,
              'STREAM_NOT_FOUND',
            );
          }
          for (const event of found) {
            console.log(opts.json ? JSON.stringify(event) : describeEvent(event));
          }
        });
      }),
    );
  events.addCommand(eventsTailCommand());
  return events;
}
