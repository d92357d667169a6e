import type pg from 'pg';
import type { EventLog } from '../../log/event-log.ts';
import { listDeadLetters } from '../../log/dead-letters/dead-letter-store.ts';
import { REBUILD_SUFFIX } from '../consumer-binding.ts';
import { consumerSpecs, shortName } from '../consumers.ts';
import { serviceStatus } from '../service-status.ts';
import { servingVersion } from './projection-versions.ts';

/** One line of `leadline projections list`. */
export interface ProjectionState {
  /** Short name operators type (`dashboard`), and the consumer's full name. */
  name: string;
  consumer: string;
  kind: 'projection' | 'processor';
  /** Version serving readers, and the version the code writes. */
  version: number;
  codeVersion: number;
  /** Position of its checkpoint (adapter-specific); null: never ran. */
  position: string | null;
  eventsBehind: number;
  secondsBehind: number;
  /**
   * `serving`; `stopped at dead letter <id>`; `<n> stream(s) parked`; `rebuild needed
   * (v<n>)`; `rebuilding v<n>: <p>%`; `rebuilt v<n>, not switched`.
   */
  state: string;
}

/**
 * Every projection and processor with its versions, position, lag and state, as operators
 * read it (`leadline projections list`).
 */
export async function listProjections(pool: pg.Pool, log: EventLog): Promise<ProjectionState[]> {
  const names = consumerSpecs.map((s) => s.consumer.name);
  const status = await serviceStatus(pool, log, names);
  const letters = await listDeadLetters(pool);
  const { rows: rebuilds } = await pool.query<{
    consumer_name: string;
    version: number;
    caught_up_at: Date | null;
  }>('SELECT consumer_name, version, caught_up_at FROM projection_rebuilds');
  const total = await log.positions.total(pool);
  const states: ProjectionState[] = [];
  for (const spec of consumerSpecs) {
    const name = spec.consumer.name;
    const lag = status.consumers.find((c) => c.consumer === name);
    const version = await servingVersion(pool, name);
    const mine = letters.filter((l) => l.consumer === name);
    const rebuild = rebuilds.find((r) => r.consumer_name === name);
    let state = 'serving';
    const stop = mine.find((l) => l.policy === 'stop');
    if (stop) state = `stopped at dead letter ${stop.id}`;
    else if (mine.length > 0) state = `${mine.length} stream(s) parked`;
    else if (rebuild?.caught_up_at) state = `rebuilt v${rebuild.version}, not switched`;
    else if (rebuild) {
      const done = await log.positions.handled(pool, `${name}${REBUILD_SUFFIX}`);
      const percent = total === 0 ? 100 : Math.floor((100 * done) / total);
      state = `rebuilding v${rebuild.version}: ${percent}%`;
    } else if (version !== spec.version) state = `rebuild needed (v${spec.version})`;
    states.push({
      name: shortName(spec),
      consumer: name,
      kind: spec.kind,
      version,
      codeVersion: spec.version,
      position: await log.positions.describe(pool, name),
      eventsBehind: lag?.eventsBehind ?? 0,
      secondsBehind: lag?.secondsBehind ?? 0,
      state,
    });
  }
  return states;
}
