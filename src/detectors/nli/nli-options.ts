import { z } from 'zod';
import { checkL2, checkName, checkThreshold } from '../../core/detector-kit.js';
import { numberSchema } from '../../core/number-range.js';
import type { BatchPlanOptions } from '../../runtime/batching.js';
import type { ModelOptions } from '../../runtime/model-options.js';
import { checkedOption } from '../descriptors/option-fields.js';
import type { ScalarCalibration } from '../scalar-calibration.js';

/** The hypothesis words for each class, put into {@link NliZeroShotOptions.hypothesisTemplate}. */
export interface NliLabelWords {
  /**
   * Word(s) for a human.
   * @defaultValue 'human'
   */
  human?: string;
  /**
   * Word(s) for a bot.
   * @defaultValue 'bot'
   */
  bot?: string;
}

/**
 * Options for {@link NliZeroShotDetector}. The model fields choose the NLI model (default
 * `Xenova/bart-large-mnli`, about 1.6 GB in fp32: consider `dtype: 'q8'`).
 */
export interface NliZeroShotOptions extends ModelOptions, BatchPlanOptions {
  /**
   * Most tokens per premise-hypothesis pair; longer premises are cut at the end (the hypothesis never is).
   * @defaultValue the model's limit (tokenizer `model_max_length` / config `max_position_embeddings`)
   */
  maxLength?: number;
  /**
   * The detector's name in results.
   * @defaultValue 'nli'
   */
  name?: string;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * The hypothesis; `{}` is replaced by the label word and `{speaker}` (optional) by the target's name.
   * @defaultValue 'This speaker is {}.'
   */
  hypothesisTemplate?: string;
  /**
   * The label words.
   * @defaultValue `{ human: 'human', bot: 'bot' }`
   */
  labels?: NliLabelWords;
  /**
   * How many messages of the other speakers before each target message go into the premise as context.
   * `0` puts only the target's messages in the premise.
   * @defaultValue 1
   */
  contextTurns?: number;
  /**
   * L2 penalty of the calibration `fit()` learns.
   * @defaultValue 1
   */
  l2?: number;
}

/** A premise built from part of a transcript: the lines it holds and which messages they come from. */
export type NliWindow = Pick<NliWindowScore, 'premise' | 'messageIndices' | 'targetIndices' | 'targetTokens'>;

/**
 * A window (a premise built from part of a transcript) with what the NLI model said about it.
 */
export interface NliWindowScore {
  /** The premise text: one `speaker: text` line per message, joined with newlines. */
  premise: string;
  /** Indices (into `messages`) of every message in the premise, in order. */
  messageIndices: number[];
  /** Indices of the target's messages in the premise. */
  targetIndices: number[];
  /** Tokens of the target's lines: the window's weight in the aggregate. */
  targetTokens: number;
  /** Logits of the premise against the bot hypothesis (in the model's label order). */
  botLogits: number[];
  /** Logits of the premise against the human hypothesis. */
  humanLogits: number[];
  /** P(entailment) of the bot hypothesis (softmax over contradiction and entailment). */
  pBot: number;
  /** P(entailment) of the human hypothesis. */
  pHuman: number;
  /** `pBot / (pBot + pHuman)`. */
  score: number;
}

/** The two hypotheses sent to the NLI model for one target speaker. */
export interface NliHypotheses {
  /** The hypothesis that the speaker is a bot, e.g. "This speaker is bot." */
  bot: string;
  /** The hypothesis that the speaker is a human, e.g. "This speaker is human." */
  human: string;
}

/** What {@link NliZeroShotDetector.analyze} measured for one transcript. */
export interface NliAnalysis {
  /** The two hypotheses, as sent to the model. */
  hypotheses: NliHypotheses;
  /** Every window, in transcript order. */
  windows: NliWindowScore[];
  /** Target-token-weighted mean over windows of `log(pBot) - log(pHuman)`. */
  logOdds: number;
}

/** A fitted mapping from the aggregate log-odds `z` to P(bot): `sigmoid(a * z + b)`. */
export type NliCalibration = ScalarCalibration;

const word = (fallback: string) =>
  z
    .string({ error: 'expected a non-empty string' })
    .refine((w) => w.trim() !== '', { error: 'expected a non-empty string' })
    .default(fallback);

/**
 * The detector's own options (the model options are checked by the NLI scorer), with their defaults: the one
 * description the constructor, the `nli` detector type's spec schema and its docs read.
 *
 * @internal
 */
export const nliDetectorOptionsSchema = z.object({
  // The checks every detector's constructor and spec use, so `nli` words a bad name, threshold or l2 as they do.
  name: checkedOption((v) => checkName(v, 'nli')),
  threshold: checkedOption(checkThreshold),
  hypothesisTemplate: z
    .string({ error: 'must be a string containing "{}"' })
    .refine((t) => t.includes('{}'), { error: 'must contain "{}", where the label word goes' })
    .default('This speaker is {}.'),
  labels: z
    .object({ human: word('human'), bot: word('bot') })
    .default({ human: 'human', bot: 'bot' })
    .refine((l) => l.human !== l.bot, { error: 'the human and bot words must differ' }),
  contextTurns: numberSchema({ min: 0, max: 50, integer: true }, 'expected an integer from 0 to 50').default(
    1,
  ),
  l2: checkedOption(checkL2),
});
