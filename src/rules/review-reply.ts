import { normaliseText } from './normalise-text.ts';

/** How a customer's reply to a review request reads. */
export type ReviewVerdict = 'good' | 'bad';

/**
 * Unhappy replies: a complaint about the work, the visit or the bill, a low score, or a good
 * word negated ("not happy"). Checked first, so "not great" and "good but still leaking" are
 * bad.
 */
const BAD =
  /\b(bad|terrible|awful|poor(ly)?|horrible|worst|unhappy|disappointed|disappointing|upset|angry|rude|unprofessional|overcharged|ripped off|worse|mess|messy|late|never (showed|came)|no show|not (good|great|happy|satisfied|fixed|working|impressed|ok|okay)|(didn'?t|did not|doesn'?t|does not) (fix|work)|still (leak|leaking|broken|clogged|dripping|running|not)|leaking again|broke again|[12] ?(\/ ?(5|10)|stars?)|one star|two stars|mal|mauvais|decu|decue|decevant|fache|pas (content|contente|satisfait|satisfaite|bien|bon|correct|regle|repare)|(coule|fuit) encore|toujours (bouche|brise|pareil)|trop cher)\b|👎|😡|😠/;

/** Happy replies: a yes, praise, thanks or a high score. */
const GOOD =
  /^(yes|yeah|yep|yup|y|ok|okay|sure|oui|ouais)\b|\b(bien|tres bien|super|excellent|parfait|genial|content|contente|satisfait|satisfaite|merci|bravo|recommande|good|great|excellent|awesome|amazing|perfect|fantastic|wonderful|brilliant|superb|happy|satisfied|pleased|love(d)?|recommend|thank(s| you)|well done|professional|[45] ?(\/ ?5|stars?)|(9|10) ?\/ ?10|five stars)\b|👍|😀|😊|🙂|❤️|⭐/;

/**
 * Classifies a reply to a review request (pure): `bad` for any complaint or low score (checked
 * first), `good` for a yes, praise, thanks or high score, null when it reads as neither (a
 * question, a new job: treated as a lead message). Text normalised as `normaliseText`.
 * English and Canadian French (the French review request asks for BIEN or MAL).
 * Only meaningful as an answer to a pending review request: a bare YES otherwise is a
 * carrier opt-in keyword or an ordinary reply, never a review (CTIA Messaging Principles
 * §5.1: YES re-subscribes).
 */
export function classifyReviewReply(body: string): ReviewVerdict | null {
  const text = normaliseText(body).trim();
  if (BAD.test(text)) return 'bad';
  if (GOOD.test(text)) return 'good';
  return null;
}
