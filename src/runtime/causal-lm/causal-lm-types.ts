import type { ModelOptions } from '../model-options.js';

/** Options for `CausalLmScorer`: where the model comes from, and how long texts are windowed. */
export interface CausalLmScorerOptions extends ModelOptions {
  /**
   * Most tokens per forward pass. Longer texts are scored in sliding windows of this size (see `stride`). The
   * logits of one window take `windowTokens x vocabulary x 4` bytes (about 200 MB for GPT-2 at 1024), and only
   * one window is held at a time.
   * @defaultValue the model's context length (`n_positions` / `max_position_embeddings` / `n_ctx` in its
   * config), capped at 1024
   */
  windowTokens?: number;
  /**
   * How far each window moves past the previous one, in tokens (1 to `windowTokens - 1`). Every token is scored
   * once; tokens after the first window see at least `windowTokens - stride` tokens of context.
   * @defaultValue half of `windowTokens`
   */
  stride?: number;
}

/** Token ids of one text and the log-probability of each token after the first. */
export interface TokenLogprobs {
  /** The token ids, as the tokenizer gives them with its default special tokens (GPT-2 adds none). */
  ids: number[];
  /** `logprobs[i] = log p(ids[i+1] | ids[0..i])` in nats; `ids.length - 1` entries (none for under 2 tokens). */
  logprobs: number[];
}

/** Per-token scores of one text under a causal LM. */
export interface TokenScores extends TokenLogprobs {
  /** `entropies[i]`: entropy (nats) of the next-token distribution after `ids[0..i]`; as long as `logprobs`. */
  entropies: number[];
}

/** {@link TokenScores} plus the summary figures. */
export interface TextScores extends TokenScores {
  /** `exp(-mean(logprobs))`, or `null` when the text has fewer than 2 tokens. */
  perplexity: number | null;
  /** `mean(entropies)`, or `null` when the text has fewer than 2 tokens. */
  entropyMean: number | null;
}

/** Per-token scores of one text under a performer model, with the cross-entropy against an observer model. */
export interface CrossScores extends TokenScores {
  /**
   * `crossEntropies[i] = -sum_v p_observer(v | ids[0..i]) * log p_performer(v | ids[0..i])`, in nats: how
   * surprised the performer is, on average, by what the observer expects next.
   */
  crossEntropies: number[];
}

/** Log-probabilities of candidate continuations after a prompt. */
export interface CandidateScores {
  /** Per candidate, the token ids scored (the first token only, for `CausalLmScorer.nextTokenDistribution`). */
  tokenIds: number[][];
  /** Per candidate, its log-probability in nats. */
  logprobs: number[];
}
