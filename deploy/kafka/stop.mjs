#!/usr/bin/env node
/* global process */
// Stops the dev Kafka broker started by start.mjs: SIGTERM (clean shutdown), wait up to
// 30 s (KAFKA_STOP_TIMEOUT_MS), then SIGKILL. Removes the pid file. Exit 0 when nothing
// was running.
//
//   node deploy/kafka/stop.mjs [--dir PATH]      (or KAFKA_DIR, default deploy/kafka/run)
import fs from 'node:fs';
import { isKafkaPid, readPid, readState, removeState, resolveConfig, terminate } from './start.mjs';

const log = (msg) => process.stderr.write(`[kafka] ${msg}\n`);

async function main() {
  const { runDir } = resolveConfig();
  const timeoutMs = Number(process.env.KAFKA_STOP_TIMEOUT_MS ?? 30_000);
  const pid = readPid(runDir);

  if (!isKafkaPid(pid)) {
    removeState(runDir);
    log('no broker running');
    return;
  }

  const t0 = Date.now();
  log(`stopping broker pid ${pid} (SIGTERM)...`);
  const pending = readState(runDir)?.cdsPending;
  const killed = await terminate(pid, timeoutMs);
  if (isKafkaPid(pid)) throw new Error(`broker pid ${pid} survived SIGKILL`);
  // First run with CDS: the JVM wrote its class archive on a clean exit; publish it.
  if (pending?.tmp && fs.existsSync(pending.tmp)) {
    if (!killed && !fs.existsSync(pending.archive)) fs.renameSync(pending.tmp, pending.archive);
    else fs.rmSync(pending.tmp, { force: true });
  }
  removeState(runDir);
  log(
    killed
      ? `broker did not exit within ${timeoutMs} ms; killed (SIGKILL)`
      : `stopped in ${Date.now() - t0} ms`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    log(e.stack ?? String(e));
    process.exit(1);
  },
);
