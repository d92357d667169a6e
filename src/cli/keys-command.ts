import { Command, Option } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey, type Role } from '../auth/api-keys.ts';
import { findTenant } from '../commands/register-tenant.ts';
import { runAction } from './run-action.ts';
import { withLog } from './with-log.ts';

/** `leadline keys create|list|revoke`. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('API keys for the read API, auditors and tenants');

  keys
    .command('create')
    .description('create a key and print it once (only its hash is kept)')
    .addOption(
      new Option('--role <role>', 'what the key may do')
        .choices(['operator', 'auditor', 'tenant'])
        .makeOptionMandatory(),
    )
    .option('--tenant <id|number>', 'the tenant a tenant key belongs to')
    .option('--label <text>', 'who or what the key is for')
    .action(
      runAction(async (config, opts: { role: Role; tenant?: string; label?: string }) => {
        await withLog(config, async (ctx) => {
          const tenantId = opts.tenant
            ? (await findTenant(ctx.db.pool, opts.tenant)).tenantId
            : null;
          const { key, keyId } = await createApiKey(ctx.db.pool, {
            role: opts.role,
            tenantId,
            label: opts.label ?? null,
          });
          console.log(key);
          console.error(
            `(key ${keyId}, role ${opts.role}${tenantId ? ` for tenant ${tenantId}` : ''}; it is shown only now: store it safely)`,
          );
        });
      }),
    );

  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--json', 'print JSON lines')
    .action(
      runAction(async (config, opts: { json?: boolean }) => {
        await withLog(config, async (ctx) => {
          for (const k of await listApiKeys(ctx.db.pool)) {
            if (opts.json) console.log(JSON.stringify(k));
            else
              console.log(
                [
                  k.keyId,
                  k.role,
                  k.tenantId ?? '-',
                  k.label ?? '-',
                  k.createdAt,
                  k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
                ].join('\t'),
              );
          }
        });
      }),
    );

  keys
    .command('revoke')
    .description('revoke a key at once')
    .argument('<id>', 'the key id (from keys list)')
    .action(
      runAction(async (config, id: string) => {
        await withLog(config, async (ctx) => {
          await revokeApiKey(ctx.db.pool, id);
          console.log(`revoked ${id}`);
        });
      }),
    );
  return keys;
}
