import type { Label, LabelledTranscript, ValidTranscript } from '../../core/transcript.js';
import type { Embedder } from '../../runtime/embedder.js';
import type { ModelOptions } from '../../runtime/model-options.js';
import type { AnswerWords, PromptParts } from './prompt-format.js';

/** How the answer words are compared. */
export type FewShotScoring = 'first-token' | 'sequence';

/** Options for {@link FewShotPromptDetector}. The model fields choose the causal LM that reads the prompt. */
export interface FewShotPromptOptions extends ModelOptions {
  /**
   * The detector's name in results.
   * @defaultValue 'fewshot'
   */
  name?: string;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * Labelled examples to show the model (the pool the prompt's examples are picked from). `fit()` replaces them.
   * @defaultValue none: call `fit()` before `detect()`
   */
  examples?: LabelledTranscript[];
  /**
   * Examples per prompt, 1 to 16 (3 to 5 works best). Fewer are used when the pool is smaller or the context
   * is too short.
   * @defaultValue 4
   */
  shots?: number;
  /**
   * Picks, per target, the `shots` pool examples most similar to the target's text (cosine of embeddings),
   * with at least one of each label when the pool has both; the most similar sits next to the target. Without
   * an embedder the same label-balanced examples are used for every target: the pool in order, alternating
   * human and bot. The caller keeps ownership: `dispose()` does not dispose it.
   * @defaultValue undefined
   */
  embedder?: Embedder;
  /**
   * The answer words compared after the prompt. Plain prompts end with `Answer:`, so the words include the
   * leading space; chat-template prompts end with the assistant's turn, so they do not.
   * @defaultValue `{ bot: ' bot', human: ' human' }` for plain prompts, `{ bot: 'bot', human: 'human' }` with a chat template
   */
  words?: Partial<AnswerWords>;
  /**
   * `first-token`: compare the probabilities of each word's first token right after the prompt (one forward
   * pass; exact when each word is one token, as ` bot` and ` human` are for GPT-2). `sequence`: compare the
   * probabilities of the whole words, the sum of their tokens' log-probabilities (one pass per word).
   * @defaultValue 'first-token'
   */
  scoring?: FewShotScoring;
  /**
   * Most tokens in the prompt. Examples are shortened, then dropped, to fit; the target's last turns are kept.
   * Must not exceed the model's context (`n_positions` / `max_position_embeddings`). The logits of a prompt
   * take `tokens x vocabulary x 4` bytes unless the graph takes `num_logits_to_keep`.
   * @defaultValue the model's context, capped at 1024
   */
  contextTokens?: number;
  /**
   * The task statement opening the prompt (the system message with a chat template).
   * @defaultValue `DEFAULT_INSTRUCTION`
   */
  instruction?: string;
  /**
   * Show speakers as `Target` / `Other` instead of their names (a name like `helperbot` would give the answer).
   * @defaultValue true
   */
  anonymize?: boolean;
  /**
   * Longest message kept in the prompt, in characters (the middle of longer ones is cut).
   * @defaultValue 500
   */
  maxMessageChars?: number;
  /**
   * `auto`: use the tokenizer's chat template (`apply_chat_template`) when it has one, a plain-text prompt
   * otherwise. `never`: always plain text.
   * @defaultValue 'auto'
   */
  chatTemplate?: 'auto' | 'never';
  /**
   * Most examples `fit()` keeps in the pool (a label-balanced subset in input order). Saved state holds the pool.
   * @defaultValue 200
   */
  maxPool?: number;
}

/** A built prompt, as {@link FewShotPromptDetector.buildPrompt} returns it. */
export interface FewShotPrompt {
  /** The rendered prompt. */
  text: string;
  /** Its length in tokens. */
  tokens: number;
  /** True when examples or target turns were shortened or dropped to fit `contextTokens`. */
  truncated: boolean;
  /**
   * The parts that were rendered.
   * @internal
   */
  parts: PromptParts;
  /** True when the tokenizer's chat template was applied. */
  chat: boolean;
  /** The answer words compared after the prompt. */
  words: AnswerWords;
  /** Labels of the examples in the prompt, in order. */
  exampleLabels: Label[];
}

/**
 * One labelled example the detector can put in a prompt.
 *
 * @internal
 */
export interface PoolItem {
  t: ValidTranscript;
  label: Label;
}
