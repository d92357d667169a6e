import type pg from 'pg';

/**
 * Whether the processor's state of this lead (tenant, E.164 phone) says the lead opted out:
 * `LeadState.optedOut` as last saved (true after `ConsentRevoked` until an express
 * `ConsentGranted`, folded in log order). The consent module's `consentFor` asks it beside
 * the consent gate, so the sender withholds a text queued before an opt-out even where the
 * gate holds that opt-out differently.
 * False for a lead the processor has not met.
 */
export async function leadOptedOut(
  db: pg.Pool | pg.ClientBase,
  tenantId: string,
  phone: string,
): Promise<boolean> {
  const { rows } = await db.query<{ opted_out: boolean }>(
    'SELECT opted_out FROM lead_states WHERE tenant_id = $1 AND phone = $2',
    [tenantId, phone],
  );
  return rows[0]?.opted_out ?? false;
}
