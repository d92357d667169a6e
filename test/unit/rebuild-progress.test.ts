import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/runtime/rebuild/progress.ts';

describe('rebuild progress line', () => {
  it('shows the bar, events done of the total, the rate and the time left', () => {
    expect(progressLine({ done: 450_000, total: 1_000_000, rate: 9_166 }, 20)).toBe(
      '[#########-----------]  45% 450,000/1,000,000 events  9,166 events/s  ETA 1m00s',
    );
  });

  it('is full and needs no time when done, and says ? before any rate is known', () => {
    expect(progressLine({ done: 10, total: 10, rate: 5 }, 4)).toBe(
      '[####] 100% 10/10 events  5 events/s  ETA 0s',
    );
    expect(progressLine({ done: 0, total: 100, rate: 0 }, 4)).toMatch(/ETA \?$/);
  });

  it('never shows more than 100% when the log grew past the total it was given', () => {
    expect(progressLine({ done: 120, total: 100, rate: 10 }, 4)).toMatch(/^\[####\] 100% 120\/120/);
  });

  it('counts hours for long rebuilds', () => {
    expect(progressLine({ done: 0, total: 36_000_000, rate: 5_000 }, 2)).toMatch(/ETA 2h00m$/);
  });
});
