/** What the lead score is computed from (the dashboard's lead row). */
export interface LeadFacts {
  status: 'new' | 'contacted' | 'booked' | 'lost';
  optedOut: boolean;
  missedCalls: number;
  messagesIn: number;
  emergencies: number;
  /** Hours since the lead last called or texted. */
  hoursSinceContact: number;
  /** What the qualifying assistant learned, when it has read the lead (issue 16). */
  qualification?: {
    qualified: boolean;
    urgency: 'emergency' | 'soon' | 'flexible' | null;
    outsideArea: boolean;
  } | null;
}

/**
 * How worth calling back a lead is, 0–100 (pure), so the owner sees the best first: booked
 * 100; lost or opted out 0; otherwise 20, plus 40 if it ever sent an EMERGENCY text, 10 per
 * missed call (at most 30), 10 if it wrote to us, minus 10 per day without contact (at most
 * 30). With a qualification: an emergency counts as an EMERGENCY text, `soon` adds 10, a
 * lead the assistant qualified (`LeadQualified`) 10; a lead outside the service area scores
 * at most 10. A house-rule heuristic, not a trade standard; tested in
 * `test/unit/lead-score.test.ts`.
 */
export function leadScore(f: LeadFacts): number {
  if (f.status === 'booked') return 100;
  if (f.status === 'lost' || f.optedOut) return 0;
  const q = f.qualification;
  const emergency = f.emergencies > 0 || q?.urgency === 'emergency';
  const score =
    20 +
    (emergency ? 40 : 0) +
    (q?.urgency === 'soon' ? 10 : 0) +
    (q?.qualified ? 10 : 0) +
    Math.min(30, 10 * f.missedCalls) +
    (f.messagesIn > 0 ? 10 : 0) -
    Math.min(30, 10 * Math.floor(f.hoursSinceContact / 24));
  return Math.max(0, Math.min(q?.outsideArea ? 10 : 100, score));
}
