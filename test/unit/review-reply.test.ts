import { describe, expect, it } from 'vitest';
import { classifyReviewReply } from '../../src/rules/review-reply.ts';

describe('replies to a review request', () => {
  it.each([
    'YES',
    'yes!',
    'Good',
    'Great job, thanks',
    'Mike was excellent, very professional',
    'Thank you so much!',
    '5 stars',
    '10/10 would recommend',
    'Very happy with the new water heater',
    '👍',
  ])('"%s" reads as good', (body) => {
    expect(classifyReviewReply(body)).toBe('good');
  });

  it.each([
    'BAD',
    'Not happy at all',
    'not great tbh',
    'The tap is still leaking',
    'Good guy but it is still dripping',
    'You overcharged me',
    'Tech was 3 hours late and rude',
    "Didn't fix the problem",
    '1 star',
    'Terrible',
  ])('"%s" reads as bad', (body) => {
    expect(classifyReviewReply(body)).toBe('bad');
  });

  it.each(['Can you also look at the dishwasher next week?', 'Who is this?', 'What do I owe you?'])(
    '"%s" is neither (an ordinary message)',
    (body) => {
      expect(classifyReviewReply(body)).toBeNull();
    },
  );

  // The French review request asks for BIEN or MAL (rules/message-copy.ts).
  it.each(['BIEN', 'Très bien, merci!', 'Oui', 'Parfait 👍'])(
    '"%s" (French) reads as good',
    (body) => {
      expect(classifyReviewReply(body)).toBe('good');
    },
  );

  it.each(['MAL', 'Pas content, ça coule encore', 'Déçu du service', 'Trop cher'])(
    '"%s" (French) reads as bad',
    (body) => {
      expect(classifyReviewReply(body)).toBe('bad');
    },
  );
});
