import { Command } from 'commander';
import { allConsumers } from '../runtime/consumers.ts';
import type { HorizonStatus } from '../log/log-horizon.ts';
import { serviceStatus } from '../runtime/service-status.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** `leadline status`. */
export function statusCommand(): Command {
  return new Command('status')
    .description(
      'consumer lag (events and seconds behind the log), the outbound queue, timers, log horizon',
    )
    .option('--json', 'print JSON')
    .action(
      runAction(async (config, opts: { json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const status = await serviceStatus(
            ctx.db.pool,
            ctx.log,
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
          console.log(
            `qualification: ${status.qualification.waiting} waiting, ${status.qualification.failed} given up (7 days)`,
          );
          if (status.horizon) console.log(`horizon: ${describeHorizon(status.horizon)}`);
        });
      }),
    );
}

/**
 * One line on the log's horizon (PostgreSQL), e.g. `STALLED: 3 committed events held back for
 * 12.5 s behind an open transaction (pid 4242, database leadline, idle in transaction for 14 s)`
 * or `ok (nothing held back)`.
 */
export function describeHorizon(h: HorizonStatus): string {
  const tx = h.oldestTransaction;
  const culprit = tx
    ? ` behind an open transaction (pid ${tx.pid}, database ${tx.database ?? '?'}, ` +
      `${tx.state ?? 'state unknown'} for ${tx.ageSeconds} s)`
    : '';
  if (h.heldBackEvents === 0) return 'ok (nothing held back)';
  return (
    `${h.stalled ? 'STALLED' : 'ok'}: ${h.heldBackEvents} committed events held back for ` +
    `${h.heldBackSeconds} s${culprit}`
  );
}
