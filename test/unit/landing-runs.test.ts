import { describe, expect, it } from 'vitest';
import { locationsOf, toRuns, type KafkaLocation } from '../../src/log/kafka/landing-runs.ts';

const at = (topic: string, partition: number, offset: number): KafkaLocation => ({
  topic,
  partition,
  offset: String(offset),
});

describe('landing runs of the Kafka registry', () => {
  it('keeps one run per partition for one produce, in topic, partition and offset order', () => {
    const locations = new Map([
      ['e3', at('leadline.lead', 2, 41)],
      ['e1', at('leadline.lead', 0, 7)],
      ['e2', at('leadline.lead', 0, 8)],
      ['e4', at('leadline.lead', 2, 42)],
      ['e5', at('leadline.consent', 1, 0)],
    ]);
    expect(toRuns(locations)).toEqual({
      eventIds: ['e5', 'e1', 'e2', 'e3', 'e4'],
      topics: ['leadline.consent', 'leadline.lead', 'leadline.lead'],
      partitions: [1, 0, 2],
      baseOffsets: ['0', '7', '41'],
      sizes: [1, 2, 2],
    });
  });

  it('cuts a run where offsets are not consecutive (events of two produces in one landing)', () => {
    const runs = toRuns(
      new Map([
        ['a', at('t', 0, 10)],
        ['b', at('t', 0, 11)],
        ['c', at('t', 0, 15)],
      ]),
    );
    expect(runs.baseOffsets).toEqual(['10', '15']);
    expect(runs.sizes).toEqual([2, 1]);
  });

  it('gives back every location, by lower-case id, offsets past 2^53 intact', () => {
    const big = '9007199254740993';
    const locations = new Map<string, KafkaLocation>([
      ['A1B2C3D4-0000-4000-8000-000000000001', { topic: 't', partition: 3, offset: big }],
      [
        'a1b2c3d4-0000-4000-8000-000000000002',
        { topic: 't', partition: 3, offset: '9007199254740994' },
      ],
      ['a1b2c3d4-0000-4000-8000-000000000003', at('u', 0, 0)],
    ]);
    const back = locationsOf(toRuns(locations));
    expect(back.get('a1b2c3d4-0000-4000-8000-000000000001')).toEqual({
      topic: 't',
      partition: 3,
      offset: big,
    });
    expect(back.get('a1b2c3d4-0000-4000-8000-000000000002')?.offset).toBe('9007199254740994');
    expect(back.get('a1b2c3d4-0000-4000-8000-000000000003')).toEqual(at('u', 0, 0));
    expect(back.size).toBe(3);
  });

  it('refuses a landing whose runs do not cover its events exactly', () => {
    const runs = toRuns(new Map([['a', at('t', 0, 1)]]));
    expect(() => locationsOf({ ...runs, eventIds: ['a', 'b'] })).toThrow(/more events/);
    expect(() => locationsOf({ ...runs, sizes: [2] })).toThrow(/fewer events/);
  });
});
