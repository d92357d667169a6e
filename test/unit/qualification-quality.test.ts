import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  formatReport,
  loadLabelledConversations,
  playConversation,
  scoreResults,
} from '../../harness/qualification-scoring.ts';
import { assessDeterministically } from '../../src/qualification/deterministic-engine.ts';

const dir = fileURLToPath(new URL('../fixtures/qualification/', import.meta.url));

describe('the deterministic engine on the labelled conversations', () => {
  it('meets issue 16: category and postal-code F1 ≥ 0.9, urgency ≥ 0.85, on ≥ 150 conversations', async () => {
    const labelled = await loadLabelledConversations(dir);
    expect(labelled.length).toBeGreaterThanOrEqual(150);
    expect(new Set(labelled.map((c) => c.language))).toEqual(new Set(['en', 'fr']));
    const results = [];
    for (const c of labelled) {
      results.push(await playConversation(c, async (input) => assessDeterministically(input)));
    }
    const report = scoreResults(labelled, results);
    console.log(formatReport('deterministic', report));
    const f1 = Object.fromEntries(report.fields.map((f) => [f.field, f.f1]));
    expect(f1.category).toBeGreaterThanOrEqual(0.9);
    expect(f1.postalCode).toBeGreaterThanOrEqual(0.9);
    expect(f1.urgency).toBeGreaterThanOrEqual(0.85);
    // The assistant's budget: never more than 3 questions to anyone.
    expect(Math.max(...results.map((r) => r.questions.length))).toBeLessThanOrEqual(3);
  });
});
