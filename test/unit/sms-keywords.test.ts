import { describe, expect, it } from 'vitest';
import { classifyKeyword } from '../../src/rules/sms-keywords.ts';

describe('carrier keywords (whole message, case-, space- and punctuation-insensitive)', () => {
  it.each([
    ['STOP', 'opt-out'],
    ['stop', 'opt-out'],
    [' Stop. ', 'opt-out'],
    ['STOPALL', 'opt-out'],
    ['Unsubscribe', 'opt-out'],
    ['cancel', 'opt-out'],
    ['END', 'opt-out'],
    ['quit!', 'opt-out'],
    ['REVOKE', 'opt-out'],
    ['opt out', 'opt-out'],
    ['OPTOUT', 'opt-out'],
    ['Arrêt', 'opt-out'],
    ['ARRET', 'opt-out'],
    ['START', 'opt-in'],
    ['yes', 'opt-in'],
    ['Unstop', 'opt-in'],
    ['HELP', 'help'],
    ['info?', 'help'],
    ['aide', 'help'],
  ])('%j → %s', (body, family) => {
    expect(classifyKeyword(body)).toBe(family);
  });

  it.each([
    "my toilet won't stop running",
    'Can you help with a leak?',
    'stop by tomorrow?',
    'yes please come at 3',
    '',
    '🚽',
  ])('%j is not a keyword', (body) => {
    expect(classifyKeyword(body)).toBeNull();
  });
});
