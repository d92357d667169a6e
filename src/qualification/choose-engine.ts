import { deterministicEngine } from './deterministic-engine.ts';
import type { QualificationEngine } from './engine.ts';
import { languageModelEngine } from './language-model-engine.ts';

/**
 * The qualification engine the configuration asks for: the language model at `llm`
 * (`LLM_BASE_URL`, `LLM_API_KEY`, `LLM_MODEL`, `LLM_TIMEOUT_MS`) with the deterministic rules
 * as its fallback, or the deterministic rules alone when none is configured (the default).
 */
export function chooseQualificationEngine(
  llm:
    { baseUrl: string; apiKey: string | undefined; model: string; timeoutMs: number } | undefined,
): QualificationEngine {
  const rules = deterministicEngine();
  return llm ? languageModelEngine({ ...llm, fallback: rules }) : rules;
}
