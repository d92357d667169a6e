import path from 'node:path';
import { Command, Option } from 'commander';
import { registerTenant } from '../commands/register-tenant.ts';
import type { Role } from '../runtime/service.ts';
import { systemClock } from '../shared/clock.ts';
import { createLogger } from '../shared/logger.ts';
import { flushTracing } from '../telemetry/register.ts';
import { runAction } from './run-action.ts';

/** The demo tenant `serve --demo` registers: fictional 555 numbers, open around the clock. */
export const DEMO_TENANT = {
  name: 'Demo Plumbing',
  twilioNumber: '+15555550100',
  ownerPhone: '+15555550199',
  timezone: 'America/Toronto',
  businessHours: '00:00-24:00',
};

/** `leadline serve`. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run Leadline: webhooks, read API, consumers and sender (or one role of them)')
    .addOption(
      new Option('--role <role>', 'api: webhooks and read API; worker: consumers and sender')
        .choices(['all', 'api', 'worker'])
        .default('all'),
    )
    .option(
      '--demo',
      `register a demo tenant (${DEMO_TENANT.twilioNumber}) and print how to try it`,
    )
    .action(
      runAction(async (config, opts: { role: Role; demo?: boolean }) => {
        const logger = createLogger(config.logLevel);
        // Loaded here: the HTTP server, the sender and the metrics stay out of other commands.
        const { startService } = await import('../runtime/service.ts');
        const service = await startService(config, { role: opts.role, logger });
        let stopping = false;
        const shutdown = (signal: string) => {
          if (stopping) process.exit(130);
          stopping = true;
          logger.info({ signal }, 'shutting down');
          service
            .stop()
            .then(flushTracing)
            .then(
              () => process.exit(0),
              (error) => {
                logger.error({ err: error }, 'shutdown failed');
                process.exit(1);
              },
            );
        };
        process.on('SIGINT', () => shutdown('SIGINT'));
        process.on('SIGTERM', () => shutdown('SIGTERM'));

        if (opts.demo) {
          const { tenant } = await registerTenant(DEMO_TENANT, {
            log: service.log,
            db: service.db.pool,
            clock: systemClock,
          });
          const url = config.publicBaseUrl;
          const secrets =
            service.secrets.operatorApiKeySource === 'data-dir'
              ? `operatorApiKey in ${path.join(config.dataDir, 'secrets.json')}`
              : 'OPERATOR_API_KEY';
          process.stderr.write(
            [
              '',
              `Leadline is running at ${url} (send mode: ${config.sendMode}, database: ${service.db.kind}).`,
              `Demo tenant "${tenant.name}" (${tenant.tenantId}) answers ${tenant.twilioNumber}.`,
              `Open the dashboard: http://localhost:${config.port}/dashboard`,
              `  sign in with the operator key (${secrets}) and pick "${tenant.name}".`,
              'Then make some missed calls from another terminal:',
              `  npx leadline simulate --url ${url} --tenant-number ${tenant.twilioNumber} --calls 8`,
              `The read API takes the same key as a bearer token:`,
              `  curl -H "Authorization: Bearer <key>" "${url}/api/v1/dashboard?tenant=${tenant.tenantId}"`,
              '',
            ].join('\n'),
          );
        }
      }),
    );
}
