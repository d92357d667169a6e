import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DashboardTotals } from '../../src/projections/dashboard/dashboard-queries.ts';
import type { Funnel, Summary } from '../../src/projections/dashboard/read-model.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import { DEMO_TENANT } from '../../src/cli/serve-command.ts';
import { freePort, runCli, ServiceProcess } from '../../harness/service-process.ts';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the embedded default: `npm start` on a fresh machine, then `leadline simulate`', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let service: ServiceProcess;
  const postmasterPid = async () =>
    Number((await readFile(path.join(dataDir, 'pg/postmaster.pid'), 'utf8')).split('\n')[0]);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'leadline-embedded-'));
    const port = await freePort();
    // No DATABASE_URL, no Twilio credentials: embedded PostgreSQL, dry-run, local secrets.
    env = {
      LEADLINE_DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: '',
      TWILIO_ACCOUNT_SID: '',
      TWILIO_AUTH_TOKEN: '',
      OPERATOR_API_KEY: '',
      TWILIO_API_URL: '',
      SEND_MODE: '',
      LOG_LEVEL: 'info',
    };
    service = new ServiceProcess(env, ['serve', '--demo']);
    await service.start(120_000);
  });
  afterAll(async () => {
    await service?.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  });

  async function dashboard() {
    const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
    const res = await fetch(`http://localhost:${env.PORT}/api/v1/dashboard`, {
      headers: { authorization: `Bearer ${secrets.operatorApiKey}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      tenants: Array<{ tenant: Tenant; totals: DashboardTotals }>;
    };
    return body.tenants.find((t) => t.tenant.twilioNumber === DEMO_TENANT.twilioNumber)!.totals;
  }

  it('the first screen: where it listens (unmasked), the dashboard and how to sign in, no warnings', async () => {
    const port = env.PORT;
    // The next steps follow readiness (the demo tenant is registered first).
    await vi.waitFor(() => expect(service.output).toContain('Open the dashboard'), {
      timeout: 20_000,
      interval: 100,
    });
    expect(service.output).toMatch(
      new RegExp(`Server listening at http://127\\.0\\.0\\.1:${port}`),
    );
    expect(service.output).not.toMatch(/listening at http:\/\/[^\s"]*\*/);
    expect(service.output).toContain(`Open the dashboard: http://localhost:${port}/dashboard`);
    expect(service.output).toContain(`operatorApiKey in ${path.join(dataDir, 'secrets.json')}`);
    expect(service.output).not.toMatch(/DeprecationWarning|FSTDEP|Warning:/);
  });

  it('simulate drives the demo tenant with signed webhooks and the dashboard shows the calls, texts and leads', async () => {
    const result = await runCli(
      [
        'simulate',
        '--url',
        `http://localhost:${env.PORT}`,
        '--tenant-number',
        DEMO_TENANT.twilioNumber,
        '--calls',
        '8',
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('8 calls: 2 answered, 6 missed');
    expect(result.stdout).toContain('Dashboard of Demo Plumbing');
    const totals = await dashboard();
    expect(totals).toMatchObject({
      calls: 8,
      answered: 2,
      missed: 6,
      leads: 8,
      optedOut: 2,
      textsIn: 4,
    });
    // Dry-run: everything is decided and shown, nothing leaves the machine. (A missed-call text
    // still queued when its caller's STOP arrived is withheld for consent instead.)
    const statuses = Object.keys(totals.outboundByStatus);
    expect(statuses).toContain('withheld:dry-run');
    for (const status of statuses) expect(status).toMatch(/^withheld:(dry-run|consent-revoked)$/);

    // The owner's counters say what would have been sent, rather than a bare 0.
    const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
    const read = async <T>(route: string): Promise<T> => {
      const res = await fetch(`http://localhost:${env.PORT}/api/v1${route}`, {
        headers: { authorization: `Bearer ${secrets.operatorApiKey}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as T;
    };
    const { tenants } = await read<{ tenants: Array<{ tenant: Tenant }> }>('/dashboard');
    const demo = tenants.find((t) => t.tenant.twilioNumber === DEMO_TENANT.twilioNumber)!.tenant;
    const summary = await read<Summary>(`/summary?tenant=${demo.tenantId}`);
    expect(summary.texts.sent).toBe(0);
    // Texts to leads only (the owner's alerts are withheld too, and counted apart).
    expect(summary.texts.dryRun).toBeGreaterThan(0);
    expect(summary.texts.dryRun).toBeLessThan(totals.outboundByStatus['withheld:dry-run']!);
    const funnel = await read<Funnel>(`/funnel?tenant=${demo.tenantId}`);
    expect(funnel.texted).toBe(0);
    expect(funnel.textedDryRun).toBeGreaterThan(0);
    expect(funnel.textedDryRun).toBeLessThanOrEqual(funnel.missedCall);
  });

  it('comes up cleanly on the same data after SIGKILL left its PostgreSQL running', async () => {
    const pgPid = await postmasterPid();
    expect(await service.kill('SIGKILL')).toBeNull();
    expect(isAlive(pgPid)).toBe(true); // the orphan
    await service.start(60_000);
    expect((await dashboard()).calls).toBe(8);
  });

  it('stops its PostgreSQL on SIGTERM, and starts past a stale pid file', async () => {
    const pgPid = await postmasterPid();
    expect(await service.kill('SIGTERM')).toBe(0);
    expect(isAlive(pgPid)).toBe(false);
    // A crash can leave postmaster.pid behind naming a pid now used by another process.
    await writeFile(
      path.join(dataDir, 'pg/postmaster.pid'),
      `${process.pid}\n${dataDir}/pg\n0\n5432\n`,
    );
    await service.start(60_000);
    expect((await dashboard()).calls).toBe(8);
  });

  it('refuses bad configuration with a message naming the variable', async () => {
    const result = await runCli(['serve'], { ...env, PORT: 'eighty', SEND_MODE: 'loud' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT: PORT must be a number (got "eighty")');
    expect(result.stderr).toContain('SEND_MODE: SEND_MODE must be "live" or "dry-run"');
  });
});
