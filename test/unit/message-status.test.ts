import { describe, expect, it } from 'vitest';
import { nextMessageStatus } from '../../src/rules/message-status.ts';

describe('message status only moves forward', () => {
  it.each([
    ['queued', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['delivered', 'sent', 'delivered'], // a late "sent" callback
    ['delivered', 'delivered', 'delivered'], // twice
    ['sent', 'undelivered', 'undelivered'],
    ['undelivered', 'delivered', 'undelivered'], // a failed segment is not undone
    ['failed', 'sent', 'failed'],
    ['queued', 'mystery', 'queued'],
    ['withheld:dry-run', 'delivered', 'withheld:dry-run'],
  ])('%s then %s → %s', (current, incoming, expected) => {
    expect(nextMessageStatus(current, incoming)).toBe(expected);
  });
});
