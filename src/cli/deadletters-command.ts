import { Command } from 'commander';
import { listDeadLetters, type DeadLetter } from '../log/dead-letters/dead-letter-store.ts';
import {
  retryDeadLetter,
  skipDeadLetter,
  type Resolution,
} from '../log/dead-letters/resolve-dead-letter.ts';
import { bindConsumer } from '../runtime/consumer-binding.ts';
import { LeadlineError } from '../shared/errors.ts';
import { runAction } from './run-action.ts';
import { withLog, type CliContext } from './with-log.ts';

/** One dead letter for people, tab-separated. */
function describeLetter(letter: DeadLetter): string {
  const parked = letter.policy === 'park' ? `${letter.parked} parked` : 'consumer stopped';
  return [
    letter.id,
    letter.consumer,
    letter.status,
    letter.eventType,
    letter.streamId,
    `log ${letter.position}`,
    `${letter.attempts} attempts`,
    parked,
    letter.error,
  ].join('\t');
}

/** Prints what a retry or skip came to; exits 1 when it failed. */
function report(id: string, result: Resolution): void {
  switch (result.outcome) {
    case 'resolved':
      console.log(`dead letter ${id} resolved: ${result.handled} event(s) handled`);
      return;
    case 'skipped':
      console.log(`dead letter ${id} skipped; ${result.handled} later event(s) handled`);
      return;
    case 'requested':
      console.log(
        `dead letter ${id}: requested; no running worker acted on it yet (it will when one runs)`,
      );
      return;
    case 'failed':
      throw new LeadlineError(
        'DEAD_LETTER_FAILED',
        `dead letter ${id} failed again: ${result.error}`,
        409,
      );
  }
}

const resolver = (ctx: CliContext) => ({
  pool: ctx.db.pool,
  bind: (name: string) => bindConsumer(ctx.db.pool, name),
  log: ctx.logger,
});

/** `leadline deadletters list | retry <id> | skip <id>`. */
export function deadlettersCommand(): Command {
  const command = new Command('deadletters').description(
    'events a consumer failed to handle (poison events): list, retry or skip them',
  );
  command
    .command('list')
    .description('unresolved dead letters, oldest first')
    .option('--consumer <name>', 'only this consumer, e.g. projection:dashboard')
    .option('--all', 'include resolved and skipped ones')
    .option('--json', 'print JSON lines, with the event')
    .action(
      runAction(async (config, opts: { consumer?: string; all?: boolean; json?: boolean }) => {
        await withLog(config, async (ctx) => {
          const letters = await listDeadLetters(ctx.db.pool, opts);
          if (opts.json) {
            for (const letter of letters) console.log(JSON.stringify(letter));
            return;
          }
          if (letters.length === 0) {
            console.log('no dead letters');
            return;
          }
          console.log('id\tconsumer\tstatus\ttype\tstream\tposition\tattempts\teffect\terror');
          for (const letter of letters) console.log(describeLetter(letter));
        });
      }),
    );
  command
    .command('retry')
    .description(
      'handle the event again: a processor handles its parked stream now; a stopped projection tries again',
    )
    .argument('<id>', 'dead letter id')
    .action(
      runAction(async (config, id: string) => {
        await withLog(config, async (ctx) => report(id, await retryDeadLetter(id, resolver(ctx))));
      }),
    );
  command
    .command('skip')
    .description('never handle the event; the consumer (or the parked stream) goes on without it')
    .argument('<id>', 'dead letter id')
    .action(
      runAction(async (config, id: string) => {
        await withLog(config, async (ctx) => report(id, await skipDeadLetter(id, resolver(ctx))));
      }),
    );
  return command;
}
