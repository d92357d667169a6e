import type { Assessment, QualificationInput } from './model.ts';

/** Why the language model's answer was not used. */
export type FallbackReason = 'timeout' | 'provider-error' | 'invalid-output';

/**
 * An engine's answer with what the audit trail needs: which engine and model answered, the
 * prompt version, how long it took (ms), the provider's token counts, and, when the
 * deterministic engine stood in for the model, why.
 */
export interface EngineAnswer {
  assessment: Assessment;
  engine: 'deterministic' | 'language-model';
  model: string | null;
  promptVersion: string;
  latencyMs: number;
  tokens: { prompt: number; completion: number } | null;
  fallback: { reason: FallbackReason; detail: string } | null;
}

/**
 * Reads a lead's conversation. Implementations never throw for a provider's fault: they
 * answer with the deterministic engine and say why (`fallback`).
 */
export interface QualificationEngine {
  /** For logs and `leadline status`: `deterministic` or `language-model (<model>)`. */
  readonly description: string;
  /**
   * True when the same input always gives the same answer (the rules): a request tried again
   * may simply be read again. A language model's answer is stored before it is appended.
   */
  readonly deterministic: boolean;
  assess(input: QualificationInput): Promise<EngineAnswer>;
}
