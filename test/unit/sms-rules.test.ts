import { describe, expect, it } from 'vitest';
import { isAutoReply } from '../../src/rules/auto-reply.ts';
import { isRevocationRequest } from '../../src/rules/revocation-phrases.ts';
import { classifyUrgency } from '../../src/rules/urgency.ts';

describe('revocation by any reasonable means (FCC 24-24)', () => {
  it.each([
    'Stop texting me',
    'please stop messaging me',
    'STOP SENDING ME THESE',
    "Don't text me again",
    'do not contact this number',
    'Remove me from your list',
    'take me off your contact list please',
    'No more texts please',
    'unsubscribe me',
    'Opt me out',
    'opt-out',
    'Wrong number, stop',
    'leave me alone',
    'STOP please',
    'please stop',
    'stop stop',
    'Unsubscribe please',
    'Remove me',
    'Quit now!',
  ])('%j opts out', (body) => {
    expect(isRevocationRequest(body)).toBe(true);
  });

  it.each([
    "My toilet won't stop running",
    'Can you stop by tomorrow morning?',
    "The leak won't stop, water keeps coming",
    'Please remove the old water heater too',
    "don't stop texting me updates, thanks!",
    'Text me when you are on the way',
    'The drain stopped working',
    'Cancel my appointment please',
    'stop by tomorrow',
    'Remove me the old faucet too',
  ])('%j does not', (body) => {
    expect(isRevocationRequest(body)).toBe(false);
  });
});

describe('automatic replies are recognised', () => {
  it.each([
    "I'm driving with Driving Focus turned on. I'll see your message when I get where I'm going.",
    'Auto-reply: I am away until Monday',
    'Automatic reply: out of office',
    'I am out of the office and will respond on my return',
    'This is an automated message from ACME Property Management',
  ])('%j is an auto-reply', (body) => {
    expect(isAutoReply(body)).toBe(true);
  });

  it.each(['Driving over to the house now, be there at 5', 'Can you reply when you know?', 'ok'])(
    '%j is not',
    (body) => {
      expect(isAutoReply(body)).toBe(false);
    },
  );
});

describe('owner alert urgency', () => {
  it.each([
    'Pipe burst in the basement!!',
    'My basement is flooding',
    'water everywhere in the kitchen, help',
    'Sewage coming up through the shower drain',
    'I smell gas near the water heater',
    'No heat and it is -20 out',
    'Toilet overflowing and won’t stop',
    'leak dripping through the ceiling light fixture',
    'Frozen pipe in the garage',
    'Need someone ASAP',
    'This is an emergency',
  ])('%j → EMERGENCY', (body) => {
    expect(classifyUrgency(body)).toBe('EMERGENCY');
  });

  it.each([
    'Not an emergency, but the kitchen tap drips',
    'Looking for a quote for next week',
    'Can I get an estimate to replace my water heater?',
    'No rush, the basement sink drains slowly',
    'Do you install dishwashers?',
    'What are your rates?',
  ])('%j → STANDARD', (body) => {
    expect(classifyUrgency(body)).toBe('STANDARD');
  });
});
