/**
 * What a consumer does with an event it failed to handle `maxAttempts` times:
 * - `stop`: record a dead letter and go no further until an operator retries or skips it
 *   (projections: a read model applied out of order would be wrong);
 * - `park`: record a dead letter, set the event aside with every later event of its stream,
 *   and go on with other streams (processors: one broken conversation must not hold up
 *   every other customer's text).
 *
 * Its own file so that the dead-letter store and the poison policy both name it without
 * importing each other.
 */
export type PoisonPolicy = 'stop' | 'park';
