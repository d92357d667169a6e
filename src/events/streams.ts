/** Stream of one lead: everything that happened between one tenant and one phone number (E.164). */
export const leadStreamId = (tenantId: string, phone: string): string =>
  `lead:${tenantId}:${phone}`;

/** Stream of one tenant's own configuration. */
export const tenantStreamId = (tenantId: string): string => `tenant:${tenantId}`;

/** Stream of webhooks refused before they could belong to a tenant (operators' eyes only). */
export const REJECTED_WEBHOOKS_STREAM = 'webhooks:rejected';

/**
 * Splits a lead stream id back into its tenant and phone.
 * @returns undefined when `streamId` is not a lead stream.
 */
export function parseLeadStreamId(
  streamId: string,
): { tenantId: string; phone: string } | undefined {
  const match = /^lead:([^:]+):(\+\d+)$/.exec(streamId);
  return match ? { tenantId: match[1]!, phone: match[2]! } : undefined;
}
