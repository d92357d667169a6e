/**
 * Scores the qualification engines on the labelled conversations in
 * `test/fixtures/qualification/` (issue 16; the rules were tuned on these) and on the held-out
 * set in its `holdout/` folder (written apart, never tuned on): field-level precision, recall and F1 for the job
 * category, postal code, urgency and name; questions asked per lead; the share of leads fully
 * qualified. Each conversation is played as the assistant has it (`playConversation`): the
 * lead's texts, then each question and the lead's labelled answer, at most 3 questions.
 *
 * The language-model engine is scored too when `LLM_BASE_URL` and `LLM_MODEL` are set (a
 * real endpoint, or a local OpenAI-compatible server). `--errors` lists every wrong field.
 *
 *   npm run bench:qualification [-- --errors]
 */
import { fileURLToPath } from 'node:url';
import {
  formatReport,
  loadLabelledConversations,
  playConversation,
  scoreResults,
  type Assess,
  type LabelledConversation,
} from '../harness/qualification-scoring.ts';
import { assessDeterministically } from '../src/qualification/deterministic-engine.ts';

const dir = fileURLToPath(new URL('../test/fixtures/qualification/', import.meta.url));
const sets = {
  labelled: await loadLabelledConversations(dir),
  // Written apart from the rules (never used to tune them): what a new lead looks like.
  'held out': await loadLabelledConversations(`${dir}holdout/`),
};

async function score(name: string, assess: Assess): Promise<void> {
  for (const [set, labelled] of Object.entries(sets))
    await scoreSet(`${name} · ${set}`, labelled, assess);
}

async function scoreSet(
  name: string,
  labelled: LabelledConversation[],
  assess: Assess,
): Promise<void> {
  const started = performance.now();
  const results = [];
  for (const conversation of labelled) results.push(await playConversation(conversation, assess));
  const ms = performance.now() - started;
  const report = scoreResults(labelled, results);
  console.log(formatReport(name, report));
  console.log(
    `time: ${ms.toFixed(0)} ms for ${labelled.length} conversations (${(ms / labelled.length).toFixed(2)} ms each)`,
  );
  if (process.argv.includes('--errors')) {
    for (const e of report.errors) {
      console.log(`  ${e.id} ${e.field}: expected ${e.expected ?? '∅'}, got ${e.got ?? '∅'}`);
    }
  }
  console.log('');
}

await score('deterministic', async (input) => assessDeterministically(input));
