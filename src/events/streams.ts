/** Stream of one lead: everything that happened between one tenant and one phone number (E.164). */
export const leadStreamId = (tenantId: string, phone: string): string =>
  `lead:${tenantId}:${phone}`;

/**
 * Stream of one call from a caller without a caller ID to call or text back (`CallSid`):
 * `WithheldCallReceived` and its dial outcome. Never a lead's stream.
 */
export const withheldCallStreamId = (tenantId: string, callSid: string): string =>
  `call:${tenantId}:${callSid}`;

/** Splits a withheld call's stream id into its tenant and `CallSid`; undefined otherwise. */
export function parseWithheldCallStreamId(
  streamId: string,
): { tenantId: string; callSid: string } | undefined {
  const match = /^call:([^:]+):(CA[0-9a-zA-Z]+)$/.exec(streamId);
  return match ? { tenantId: match[1]!, callSid: match[2]! } : undefined;
}

/** Stream of one staff phone's texts that could not be relayed to a lead (E.164). */
export const staffStreamId = (tenantId: string, phone: string): string =>
  `staff:${tenantId}:${phone}`;

/** Splits a staff stream id into its tenant and phone; undefined for any other stream. */
export function parseStaffStreamId(
  streamId: string,
): { tenantId: string; phone: string } | undefined {
  const match = /^staff:([^:]+):(\+\d+)$/.exec(streamId);
  return match ? { tenantId: match[1]!, phone: match[2]! } : undefined;
}

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
