import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { runCli } from '../../harness/service-process.ts';

describe('leadline tenants add | list', () => {
  let env: Record<string, string>;
  const add = (...args: string[]) =>
    runCli(
      [
        'tenants',
        'add',
        '--name',
        'Maple Plumbing',
        '--owner-phone',
        '+14165550199',
        '--timezone',
        'America/Toronto',
        ...args,
      ],
      env,
    );

  beforeAll(async () => {
    env = { DATABASE_URL: await createTestDatabase(), LOG_LEVEL: 'warn' };
  });
  it('prints the new tenant id, and the same id again for the same Twilio number without recording anything', async () => {
    const first = await add('--twilio-number', '+1 (416) 555-0100');
    expect(first.code, first.stderr).toBe(0);
    const id = first.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await add('--twilio-number', '+14165550100');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(id);
    expect(again.stderr).toContain('already registered');
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query(
      "SELECT count(*)::int n FROM events WHERE type = 'TenantRegistered'",
    );
    await db.end();
    expect(rows[0].n).toBe(1);
    const list = await runCli(['tenants', 'list', '--json'], env);
    const tenants = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(tenants).toEqual([
      expect.objectContaining({
        tenantId: id,
        twilioNumber: '+14165550100',
        businessHours: { start: '07:00', end: '17:00' },
      }),
    ]);
  });

  it.each([
    [['--twilio-number', '555'], '"555" is not a phone number'],
    [
      ['--twilio-number', '+14165550101', '--timezone', 'Toronto'],
      '"Toronto" is not an IANA time zone',
    ],
    [['--twilio-number', '+14165550102', '--business-hours', '9-5'], '"9-5" is not business hours'],
  ])('refuses %j with a clear message and exit 1', async (args, message) => {
    const result = await add(...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });
});
