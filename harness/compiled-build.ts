import { execFile } from 'node:child_process';
import { access, cp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = path.join(ROOT, 'src');
/** Where the tests' compiled build goes (ignored by git, ESLint and Prettier). */
export const COMPILED_DIST = path.join(ROOT, 'test-artifacts/dist');
/**
 * Where the benches' compiled build goes: apart from the tests', so that a test run compiling
 * an edit meanwhile does not change the code a running bench restarts its service with (a
 * bench such as `bench:large` stops and starts `leadline` between its two measurements).
 */
export const BENCH_DIST = path.join(ROOT, 'test-artifacts/bench-dist');

/**
 * Compiles the service as the container image does (`tsc -p tsconfig.build.json`, the
 * migrations copied beside it) into `dist` (default {@link COMPILED_DIST}) and points
 * `LEADLINE_DIST` at it, so every `leadline` process this process starts runs the compiled
 * build (`leadlineCommand` in `harness/service-process.ts`), which is what production runs.
 * About 10 s on 2 cores from nothing, a few seconds when little changed (incremental).
 * Through tsx instead, a service took about 2 s more CPU to start (4.1 s against 2.1 s), a
 * CLI run about 1 s more, and every function made at run time paid esbuild's `__name`
 * wrapper (1% of a restore's CPU profile). The output holds exactly the sources' modules
 * and migrations: what a deleted or renamed source left behind is removed, and a missing
 * output rebuilds from nothing. A type error is printed, not fatal (tsc still emits; `npm
 * test` typechecks before it runs the tests).
 * @returns how long it took (ms).
 * @throws when tsc emits nothing (an unreadable tsconfig, say).
 */
export async function buildCompiledService(
  print: (line: string) => void,
  dist: string = COMPILED_DIST,
): Promise<number> {
  const started = performance.now();
  const modules = (await readdir(SOURCES, { recursive: true }))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.ts$/, '.js'));
  // tsc's incremental state does not notice an output deleted under it: start afresh then.
  const missing = await Promise.all(
    modules.map((file) =>
      access(path.join(dist, file)).then(
        () => false,
        () => true,
      ),
    ),
  );
  if (missing.some(Boolean)) await rm(dist, { recursive: true, force: true });
  await compile(dist, print);
  // Nor does it remove what a deleted source compiled to.
  const expected = new Set(modules);
  for (const file of await readdir(dist, { recursive: true })) {
    if (file.endsWith('.js') && !expected.has(file)) await rm(path.join(dist, file));
  }
  const migrations = path.join(dist, 'db/migrations');
  await rm(migrations, { recursive: true, force: true });
  await cp(path.join(SOURCES, 'db/migrations'), migrations, { recursive: true });
  process.env.LEADLINE_DIST = dist;
  return performance.now() - started;
}

/** `tsc -p tsconfig.build.json` into `dist`, incrementally; see {@link buildCompiledService}. */
async function compile(dist: string, print: (line: string) => void): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(
      process.execPath,
      [
        tsc,
        '-p',
        path.join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        dist,
        '--incremental',
        '--tsBuildInfoFile',
        path.join(dist, '.tsbuildinfo'),
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { code, stdout } = error as { code?: number; stdout?: string };
    // Exit 2: diagnostics, outputs written; anything else: nothing to run.
    if (code !== 2) throw new Error(`compiling the service failed:\n${stdout ?? String(error)}`);
    print(`compiled with type errors (running it anyway):\n${stdout}`);
  }
}

/**
 * {@link buildCompiledService} into `dist`, unless the environment variable `fromSources` is
 * `1` (the sources then run through tsx: nothing to compile after an edit), and one line
 * through `print` saying which ran and how long compiling took.
 */
export async function useCompiledBuild(
  fromSources: string,
  print: (line: string) => void,
  dist: string = COMPILED_DIST,
): Promise<void> {
  if (process.env[fromSources] === '1') {
    delete process.env.LEADLINE_DIST;
    print(`from the sources (tsx), as ${fromSources}=1`);
    return;
  }
  const ms = await buildCompiledService(print, dist);
  print(`compiled into ${path.relative(ROOT, dist)} in ${(ms / 1000).toFixed(1)} s`);
}

/**
 * For a bench that starts `leadline` processes, so what it measures is what production runs:
 * {@link useCompiledBuild} into {@link BENCH_DIST}, reported on stderr.
 * `LEADLINE_BENCH_FROM_SOURCES=1` runs the sources through tsx instead.
 */
export const benchCompiledService = (): Promise<void> =>
  useCompiledBuild(
    'LEADLINE_BENCH_FROM_SOURCES',
    (line) => console.error(`leadline: ${line}`),
    BENCH_DIST,
  );
