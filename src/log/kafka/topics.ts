/**
 * Topics of the Kafka log, one per stream category, so that every event of one stream is in
 * one topic and (keyed by `streamId`) one partition: one lead's calls, texts, consent changes
 * and outbound results stay in order. (A topic per event family would split one lead's
 * `ConsentRevoked` from its `DialMissed` and lose their order.)
 */
export interface TopicNames {
  /**
   * `lead:*` streams (calls, texts, consent, outbound results), and the conversation streams
   * that are not a lead's: `call:*` (a withheld caller's call) and `staff:*` (staff texts).
   */
  leads: string;
  /** `tenant:*` streams: registration and configuration. */
  tenants: string;
  /** Everything else (`webhooks:rejected`): operators' records. */
  operations: string;
}

/** Topic names under `prefix` (default `leadline`): `leadline.leads`, `leadline.tenants`, `leadline.operations`. */
export function topicNames(prefix: string): TopicNames {
  return {
    leads: `${prefix}.leads`,
    tenants: `${prefix}.tenants`,
    operations: `${prefix}.operations`,
  };
}

/** The topic a stream's events go to. */
export function topicFor(streamId: string, topics: TopicNames): string {
  if (/^(lead|call|staff):/.test(streamId)) return topics.leads;
  if (streamId.startsWith('tenant:')) return topics.tenants;
  return topics.operations;
}

/** Every topic, in a stable order. */
export const allTopics = (topics: TopicNames): string[] => [
  topics.tenants,
  topics.leads,
  topics.operations,
];
