import { describe, expect, it } from 'vitest';
import { memoiseByText } from '../../src/shared/memo.ts';
import { formatForPeople, toE164 } from '../../src/shared/phone.ts';

describe('memoiseByText: a pure parse remembered for the texts asked most recently', () => {
  const counting = () => {
    const asked: string[] = [];
    const parse = memoiseByText(
      (text) => {
        asked.push(text);
        return text.toUpperCase();
      },
      { maxEntries: 2, maxTextLength: 5 },
    );
    return { asked, parse };
  };

  it('computes a text once, and again only after it was pushed out by others', () => {
    const { asked, parse } = counting();
    expect([parse('a'), parse('a'), parse('b'), parse('a')]).toEqual(['A', 'A', 'B', 'A']);
    expect(asked).toEqual(['a', 'b']);
    parse('c'); // pushes out 'b', the least recently used
    parse('a');
    parse('b');
    expect(asked).toEqual(['a', 'b', 'c', 'b']);
  });

  it('never keeps a text longer than the limit', () => {
    const { asked, parse } = counting();
    expect(parse('toolong')).toBe('TOOLONG');
    expect(parse('toolong')).toBe('TOOLONG');
    expect(asked).toEqual(['toolong', 'toolong']);
  });

  it('leaves toE164 answering as before, a refusal included, however often asked', () => {
    for (let i = 0; i < 3; i++) {
      expect(toE164(' +1 416 555 0123 ')).toBe('+14165550123');
      expect(toE164('4165550123', 'CA')).toBe('+14165550123');
      expect(() => toE164('12')).toThrow(/"12" is not a phone number/);
    }
  });

  it('leaves formatForPeople answering per home country, however often asked', () => {
    for (let i = 0; i < 3; i++) {
      expect(formatForPeople('+14165550123')).toBe('(416) 555-0123');
      expect(formatForPeople('+442071838750')).toBe('+44 20 7183 8750');
      // The same number, at home in the UK: national there, and not kept as the US answer.
      expect(formatForPeople('+442071838750', 'GB')).toBe('020 7183 8750');
      expect(formatForPeople('not a number')).toBe('not a number');
    }
  });
});
