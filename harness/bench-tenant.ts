import { runCli } from './service-process.ts';

/**
 * Adds the benches' tenant, "Bench Plumbing", open around the clock in UTC, with `leadline
 * tenants add` against the service's `env`; `extra` adds flags (e.g. `--daily-quota`).
 * @throws Error with the CLI's stderr when it refuses.
 */
export async function addBenchTenant(
  env: Record<string, string>,
  twilioNumber: string,
  extra: string[] = [],
): Promise<void> {
  const added = await runCli(
    [
      'tenants',
      'add',
      '--name',
      'Bench Plumbing',
      '--twilio-number',
      twilioNumber,
      '--owner-phone',
      '+14165550199',
      '--timezone',
      'UTC',
      '--business-hours',
      '00:00-24:00',
      ...extra,
    ],
    env,
  );
  if (added.code !== 0) throw new Error(added.stderr);
}
