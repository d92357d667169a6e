import { Command } from 'commander';
import { LeadlineError, ValidationError } from '../shared/errors.ts';
import { consumerSpec, consumerSpecs, shortName, type ConsumerSpec } from '../runtime/consumers.ts';
import { listProjections } from '../runtime/rebuild/projection-list.ts';
import { progressLine, type Progress } from '../runtime/rebuild/progress.ts';
import { rebuildConsumer } from '../runtime/rebuild/rebuild-projection.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** Exit status of a rebuild paused by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130;

/**
 * Writes progress to stderr: redrawn in place on a terminal, otherwise one line at the
 * start and then at most every 5 s (logs and CI).
 */
function progressPrinter(label: string): (progress: Progress) => void {
  let lastLineAt = 0;
  return (progress) => {
    const line = `${label} ${progressLine(progress)}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}\x1b[K`);
      return;
    }
    if (Date.now() - lastLineAt >= 5_000) {
      process.stderr.write(`${line}\n`);
      lastLineAt = Date.now();
    }
  };
}

/** `leadline projections list | rebuild`. */
export function projectionsCommand(): Command {
  const command = new Command('projections').description(
    'read models and processors: versions, positions, lag; rebuild one without downtime',
  );
  command
    .command('list')
    .description('every projection and processor: version, position, lag and state')
    .option('--json', 'print JSON')
    .action(
      runAction(async (config, opts: { json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const states = await listProjections(ctx.db.pool, ctx.log);
          if (opts.json) {
            console.log(JSON.stringify(states, null, 2));
            return;
          }
          console.log('name\tkind\tversion\tposition\tevents behind\tseconds behind\tstate');
          for (const s of states) {
            const version =
              s.version === s.codeVersion
                ? `v${s.version}`
                : `v${s.version} (code v${s.codeVersion})`;
            console.log(
              [
                s.name,
                s.kind,
                version,
                s.position ?? 'never ran',
                s.eventsBehind,
                s.secondsBehind,
                s.state,
              ].join('\t'),
            );
          }
        });
      }),
    );
  command
    .command('rebuild')
    .description(
      'rebuild from the start of the log into new tables while the current version serves, then switch atomically; Ctrl-C pauses (run again to resume)',
    )
    .argument('[name]', `one of: ${consumerSpecs.map(shortName).join(', ')}`)
    .option('--all', 'every projection and processor, one after another')
    .option('--no-switch', 'build and catch up, but keep serving the current version')
    .action(
      runAction(
        async (config, name: string | undefined, opts: { all?: boolean; switch: boolean }) => {
          if (!name && !opts.all) throw new ValidationError('name a projection, or give --all');
          if (name && opts.all) throw new ValidationError('give a name or --all, not both');
          const specs: ConsumerSpec[] = opts.all ? consumerSpecs : [consumerSpec(name!)];
          const controller = new AbortController();
          const pause = () => controller.abort();
          process.once('SIGINT', pause);
          process.once('SIGTERM', pause);
          let exitCode = 0;
          await withLog(config, async (ctx) => {
            for (const spec of specs) {
              const label = shortName(spec);
              const result = await rebuildConsumer(spec, {
                log: ctx.log,
                pool: ctx.db.pool,
                logger: ctx.logger,
                maxAttempts: config.consumerMaxAttempts,
                switchWhenCaughtUp: opts.switch,
                signal: controller.signal,
                onProgress: progressPrinter(label),
              });
              if (process.stderr.isTTY) process.stderr.write('\n');
              switch (result.outcome) {
                case 'switched':
                case 'caught-up': {
                  const done =
                    result.outcome === 'switched'
                      ? `switched to v${result.version}`
                      : `v${result.version} caught up, not switched (run again without --no-switch to switch)`;
                  console.log(
                    `${label}: ${done}: ${result.events.toLocaleString('en-US')} events in ${result.seconds.toFixed(1)} s (${Math.round(result.rate).toLocaleString('en-US')} events/s)`,
                  );
                  break;
                }
                case 'interrupted':
                  console.log(
                    `${label}: paused at ${result.done.toLocaleString('en-US')}/${result.total.toLocaleString('en-US')} events; the serving version is untouched. Run the same command to resume.`,
                  );
                  exitCode = INTERRUPTED;
                  return;
                case 'stopped':
                  throw new LeadlineError(
                    'REBUILD_STOPPED',
                    `${label}: rebuild stopped at dead letter ${result.deadLetterId} (${result.error}); the serving version is untouched. See \`leadline deadletters list\`.`,
                    409,
                  );
              }
            }
          });
          process.off('SIGINT', pause);
          process.off('SIGTERM', pause);
          if (exitCode !== 0) process.exit(exitCode);
        },
      ),
    );
  return command;
}
