import { Command } from 'commander';
import { allConsumers } from '../runtime/consumers.ts';
import { serviceStatus } from '../runtime/service-status.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** `leadline status`. */
export function statusCommand(): Command {
  return new Command('status')
    .description('consumer lag (events and seconds behind the log), the outbound queue, timers')
    .option('--json', 'print JSON')
    .action(
      runAction(async (config, opts: { json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const status = await serviceStatus(
            ctx.db.pool,
            config.logBackend,
            allConsumers.map((c) => c.name),
          );
          if (opts.json) {
            console.log(JSON.stringify(status, null, 2));
            return;
          }
          console.log(`log: ${status.logBackend}`);
          console.log('consumer\tevents behind\tseconds behind\thandled\tcheckpoint');
          for (const c of status.consumers) {
            console.log(
              [
                c.consumer,
                c.eventsBehind,
                c.secondsBehind,
                c.eventsHandled,
                c.checkpointAt ?? 'never',
              ].join('\t'),
            );
          }
          const queue = Object.entries(status.outbound)
            .map(([state, n]) => `${state} ${n}`)
            .join(', ');
          console.log(`outbound: ${queue || 'empty'}`);
          console.log(`timers: ${status.timers.waiting} waiting, ${status.timers.overdue} overdue`);
        });
      }),
    );
}
