import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/leadline.js');

/** Every child this test process started and has not yet seen exit. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  // A test that failed half-way must not leave a service running that keeps the worker (and
  // so the whole run) alive: SIGKILL whatever is left, synchronously.
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Remembers `child` until it exits, so that it is SIGKILLed if this test process exits first
 * (a failed test must not leave a process behind that keeps the run alive). @returns `child`.
 */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** How long a CLI command may run before it is killed (ms). */
const CLI_TIMEOUT_MS = 180_000;
/** How long a stopping service may take before it is SIGKILLed (ms). */
const STOP_TIMEOUT_MS = 30_000;

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * Runs `leadline <args>` to completion (with `LEADLINE_SERVICE_NODE_ARGS`, as the service). A
 * command still running after `timeoutMs` is SIGKILLed and reported as exit code -1 with the
 * reason at the end of `stderr`.
 */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = CLI_TIMEOUT_MS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = track(
    spawn(process.execPath, [...serviceNodeArgs(), ...leadlineCommand(), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => {
    stderr += `\n[test] leadline ${args[0]} still running after ${timeoutMs} ms: SIGKILLed`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code: code ?? -1, stdout, stderr };
}

/**
 * The `node` arguments that run `leadline`: the compiled build in `LEADLINE_DIST` (a
 * `tsc -p tsconfig.build.json` output directory with the migrations beside it, as the
 * container image runs it: `--import <dist>/telemetry/register.js <dist>/cli/main.js`) when
 * that is set, else the sources through `bin/leadline.js` and tsx's loader. The test run and
 * the benches set it (`harness/compiled-build.ts`): loading every module through the loader
 * cost a service about 2 s of CPU more to start (4.1 s against 2.1 s) and a CLI run about 1 s
 * more, and the suite starts hundreds of them.
 */
export function leadlineCommand(): string[] {
  const dist = process.env.LEADLINE_DIST;
  if (!dist) return [BIN];
  return ['--import', path.join(dist, 'telemetry/register.js'), path.join(dist, 'cli/main.js')];
}

/**
 * Extra Node flags for the service, from `LEADLINE_SERVICE_NODE_ARGS` (space-separated), for
 * finding where a bench's time goes: e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` writes a V8
 * CPU profile when the service exits (`node` refuses `--cpu-prof` in `NODE_OPTIONS`), and
 * `--import ./probe.mjs` loads a probe first. None when the variable is unset.
 */
function serviceNodeArgs(): string[] {
  return (process.env.LEADLINE_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/**
 * `leadline serve` as a separate OS process, as Twilio and operators see it: started with
 * `env`, ready when `/readyz` answers 200, killable with any signal.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly env: Record<string, string>,
    readonly args: string[] = ['serve'],
  ) {}

  /** The running process's id (undefined when not running). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  /** Starts the process and waits until `/readyz` is 200. */
  async start(timeoutMs = 60_000): Promise<this> {
    this.output = '';
    const child = track(
      spawn(process.execPath, [...serviceNodeArgs(), ...leadlineCommand(), ...this.args], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn', ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    child.stdout!.on('data', (c) => (this.output += c));
    child.stderr!.on('data', (c) => (this.output += c));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`leadline exited with ${child.exitCode}:\n${this.output}`);
      try {
        const res = await fetch(`${this.baseUrl}/readyz`);
        if (res.status === 200) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw new Error(`leadline not ready in ${timeoutMs} ms:\n${this.output}`);
      }
      await sleep(100);
    }
  }

  /**
   * Sends `signal` and waits for the process to exit; one still running `STOP_TIMEOUT_MS`
   * later is SIGKILLed (and says so in `output`). @returns its exit code (null if killed).
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => {
      this.output += `\n[test] still running ${STOP_TIMEOUT_MS} ms after ${signal}: SIGKILLed`;
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    this.child = undefined;
    return code;
  }
}
