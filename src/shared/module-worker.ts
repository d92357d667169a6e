import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the ES module at `moduleUrl`, with `workerData`.
 *
 * A TypeScript source (`.ts`, as `bin/leadline.js` runs Leadline from its sources) is loaded
 * through tsx's loader, registered in the worker first: Node 20 does not hand the main
 * thread's loader hooks to workers. Compiled JavaScript (`dist/`, the container image) is
 * imported as it is. An error the module throws, at load or later, reaches the worker's
 * `error` event.
 */
export function startModuleWorker(moduleUrl: URL, workerData: unknown): Worker {
  const href = JSON.stringify(moduleUrl.href);
  // Resolved here: code a worker evaluates resolves bare names from the working directory,
  // which need not be Leadline's (`leadline restore` run from the backups' folder).
  const source = moduleUrl.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${href}); })`
    : `import(${href})`;
  return new Worker(source, { eval: true, workerData });
}

/**
 * The URL of module `name` (no extension) beside the module at `here` (`import.meta.url`),
 * with `here`'s extension: `.ts` run from the sources, `.js` once compiled.
 */
export function siblingModule(here: string, name: string): URL {
  const extension = new URL(here).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, here);
}
