/**
 * A consumer in its own OS process, for the contract suite's crash test: records one
 * `contract_effects` row per event (in the consumer's transaction), `CHILD_DELAY_MS` per
 * event so a SIGKILL lands mid-batch. Configured by the same environment as the service
 * (`LOG_BACKEND`, `DATABASE_URL`, `KAFKA_*`). Prints `ready` once subscribed, then
 * `handled N` after each event it has handled (inside a transaction not yet committed).
 */
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import { openEventLog } from '../../src/runtime/open-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { recordingConsumer } from './log-contract.ts';

const config = loadConfig(process.env);
const url = config.databaseUrl!;
const pool = new pg.Pool({ ...clientConfig(url), max: 8 });
const db = { url, pool, kind: 'external' as const, close: () => pool.end() };
const log = await openEventLog(config, db, silentLogger);
const delay = Number(process.env.CHILD_DELAY_MS ?? 10);
const recorder = recordingConsumer(process.argv[2]!);
let handled = 0;
log.subscribe({
  name: recorder.name,
  async handle(event, ctx) {
    await sleep(delay);
    await recorder.handle(event, ctx);
    console.log(`handled ${++handled}`); // handled, not yet committed
  },
});
console.log('ready');
