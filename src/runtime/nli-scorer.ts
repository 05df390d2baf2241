import { describeValue } from '../core/describe-value.js';
import type { DetectOptions } from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import { BATCH_PLAN_OPTION_KEYS, type BatchPlanOptions, checkBatchSize } from './batching.js';
import { countTokens, encodeTexts, modelMaxLength, paddingSide } from './encode-texts.js';
import { loadTransformers, type ModelHandle } from './load-model.js';
import { ModelHolder } from './model-holder.js';
import { ModelLifetime } from './model-lifetime.js';
import { MODEL_OPTION_KEYS, type ModelOptions } from './model-options.js';
import { runEncodedBatches } from './run-encoded.js';
import { floatData } from './tensor-data.js';

/** Every key of {@link NliScorerOptions}: `new NliScorer()` refuses any other. */
const NLI_SCORER_OPTION_KEYS: OptionKeys<NliScorerOptions> = {
  ...MODEL_OPTION_KEYS,
  ...BATCH_PLAN_OPTION_KEYS,
  maxLength: true,
};

/** Options for the NLI scorer (`NliScorer`). */
export interface NliScorerOptions extends ModelOptions, BatchPlanOptions {
  /**
   * Most tokens per premise-hypothesis pair; longer premises are cut at the end (the hypothesis never is).
   * @defaultValue the model's limit (tokenizer `model_max_length` / config `max_position_embeddings`)
   */
  maxLength?: number;
}

/** A premise and the hypothesis to test against it. */
export interface NliPair {
  /** The text taken as true. */
  premise: string;
  /** The statement whose entailment is scored. */
  hypothesis: string;
}

/** Where the NLI labels sit in the model's output, read from `config.json`. */
export interface NliLabelInfo {
  /** The label names by output index (from `config.id2label`). */
  names: string[];
  /** Index of the entailment logit. */
  entailment: number;
  /** Index of the contradiction logit (or `not_entailment` for two-way models). */
  contradiction: number;
  /** The longest pair the model takes, in tokens. */
  maxLength: number;
}

/**
 * Reads the entailment and contradiction indices from a config's `id2label` (or `label2id`), case-insensitively.
 * Two-way models with `not_entailment` use it as the contradiction side.
 *
 * @param config - the parsed config.json
 * @param model - the model name, for the error message
 * @throws ModelLoadError when the model has no entailment label (it is not an NLI model)
 * @example
 * ```ts
 * nliLabelIndices({ id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' } }, 'm');
 * // { names: ['contradiction', 'neutral', 'entailment'], entailment: 2, contradiction: 0 }
 * ```
 */
export function nliLabelIndices(
  config: Record<string, unknown>,
  model: string,
): Omit<NliLabelInfo, 'maxLength'> {
  const names: string[] = [];
  const id2label = config['id2label'];
  const label2id = config['label2id'];
  if (typeof id2label === 'object' && id2label !== null) {
    for (const [k, v] of Object.entries(id2label as Record<string, unknown>)) {
      const i = Number(k);
      if (Number.isInteger(i) && i >= 0 && typeof v === 'string') names[i] = v;
    }
  }
  if (names.length === 0 && typeof label2id === 'object' && label2id !== null) {
    for (const [k, v] of Object.entries(label2id as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) names[v] = k;
    }
  }
  const find = (re: RegExp) => names.findIndex((n) => n !== undefined && re.test(n.trim()));
  const entailment = find(/^entail(ment)?$/i);
  let contradiction = find(/^contradict(ion)?$/i);
  if (contradiction < 0) contradiction = find(/^not[_\s-]?entail(ment)?$/i);
  if (entailment < 0 || contradiction < 0) {
    const list = names.length > 0 ? names.map((n) => JSON.stringify(n)).join(', ') : 'none';
    throw new ModelLoadError(
      model,
      `"${model}" is not an NLI model: config.json id2label must name an "entailment" and a "contradiction" (or "not_entailment") label, it has ${list}. Use an MNLI-trained model such as ${defaultModelFor('nli').id}.`,
    );
  }
  return { names: names.map((n) => n ?? ''), entailment, contradiction };
}

/**
 * Scores premise-hypothesis pairs with a natural-language-inference model (e.g. `Xenova/bart-large-mnli`):
 * batched (pairs sorted by length), truncating only the premise. Unlike the transformers.js zero-shot pipeline,
 * which runs the model once per (text, label), all pairs go through in a few batched calls.
 *
 * @example
 * ```ts
 * const nli = new NliScorer({ dtype: 'q8' });
 * const p = await nli.entailmentProbabilities(['I was built to answer questions.'], 'This speaker is a bot.');
 * await nli.dispose();
 * ```
 */
export class NliScorer {
  private readonly holder: ModelHolder;
  private readonly batch: BatchPlanOptions;
  private readonly maxLengthCap: number | undefined;
  /** Ended by `NliScorer.dispose()`: work in flight stops at its next batch, new work is refused. */
  private readonly lifetime = new ModelLifetime('NLI scoring (the scorer was disposed)');

  /** @param options - model, batching and length options; see {@link NliScorerOptions} */
  constructor(options: NliScorerOptions = {}) {
    refuseUnknownKeys(options, NLI_SCORER_OPTION_KEYS, 'the options of new NliScorer()');
    const { batchSize, maxBatchTokens, maxLength, ...modelOptions } = options;
    checkBatchSize('batchSize', batchSize);
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 8)) {
      throw new InvalidOptionsError('maxLength', `expected an integer >= 8, got ${describeValue(maxLength)}`);
    }
    this.maxLengthCap = maxLength;
    this.batch = {
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxBatchTokens !== undefined ? { maxBatchTokens } : {}),
    };
    this.holder = new ModelHolder('sequence-classification', {
      ...modelOptions,
      defaultModel: defaultModelFor('nli').id,
    });
  }

  /** The model as configured (hub id or folder). */
  get modelName(): string {
    return this.holder.modelName;
  }

  /** A short, path-free model name (hub id, or a folder's base name). */
  get shortName(): string {
    return this.holder.shortName;
  }

  private async handle(): Promise<ModelHandle> {
    this.lifetime.throwIfEnded();
    const h = await this.holder.get();
    this.lifetime.throwIfEnded();
    return h;
  }

  /**
   * Loads the model (if needed) and returns its label layout and length limit.
   *
   * @throws ModelLoadError when the model cannot be loaded or has no entailment label
   */
  async info(): Promise<NliLabelInfo> {
    const h = await this.handle();
    return {
      ...nliLabelIndices(h.config, this.holder.modelName),
      maxLength: modelMaxLength(h.tokenizer, h.config, this.maxLengthCap),
    };
  }

  /**
   * Token counts of texts, without special tokens (for fitting windows under `NliLabelInfo.maxLength`).
   *
   * @param texts - the texts
   */
  async countTokens(texts: readonly string[]): Promise<number[]> {
    const h = await this.handle();
    return countTokens(h.tokenizer, texts);
  }

  /**
   * How many tokens a pair spends besides its premise: the hypothesis plus the special tokens. A premise of at
   * most `info().maxLength - pairOverhead(h)` tokens is never truncated.
   *
   * @param hypothesis - the hypothesis
   */
  async pairOverhead(hypothesis: string): Promise<number> {
    const h = await this.handle();
    const probe = 'a';
    const [row] = encodeTexts(h.tokenizer, [probe], {
      maxLength: Number.MAX_SAFE_INTEGER,
      pairs: [hypothesis],
    });
    const [own] = countTokens(h.tokenizer, [probe]);
    return row!.input_ids.length - own!;
  }

  /**
   * Raw logits for premise-hypothesis pairs, one row per pair (in `info().names` order), in input order.
   *
   * @param pairs - the pairs
   * @param opts - an abort signal, checked between batches
   * @throws AbortedError when aborted
   */
  logitsForPairs(pairs: readonly NliPair[], opts: DetectOptions = {}): Promise<number[][]> {
    return this.lifetime.run(opts.signal, (signal) => this.runPairs(pairs, signal));
  }

  private async runPairs(pairs: readonly NliPair[], signal: AbortSignal): Promise<number[][]> {
    AbortedError.throwIfAborted(signal, 'NLI scoring');
    if (pairs.length === 0) return [];
    for (const p of pairs) {
      if (typeof p?.premise !== 'string' || typeof p.hypothesis !== 'string') {
        throw new InvalidOptionsError('pairs', 'each pair must be { premise: string, hypothesis: string }');
      }
    }
    const h = await this.handle();
    const T = await loadTransformers();
    const maxLength = modelMaxLength(h.tokenizer, h.config, this.maxLengthCap);
    const rows = encodeTexts(
      h.tokenizer,
      pairs.map((p) => p.premise),
      { maxLength, pairs: pairs.map((p) => p.hypothesis) },
    );
    return runEncodedBatches(
      T,
      h,
      rows,
      (out, _feeds, idx) => {
        const { data, dims } = floatData(out['logits'], 'logits');
        const k = dims[1] ?? 0;
        return idx.map((_, r) => Array.from(data.subarray(r * k, r * k + k)));
      },
      { ...this.batch, side: paddingSide(h.tokenizer), signal, what: 'NLI scoring' },
    );
  }

  /**
   * Raw logits of each premise against one hypothesis.
   *
   * @param premises - the premises
   * @param hypothesis - the hypothesis
   * @param opts - an abort signal
   * @example
   * ```ts
   * const rows = await nli.logits(['hi there!'], 'This speaker is human.'); // [[c, n, e]]
   * ```
   */
  async logits(premises: string[], hypothesis: string, opts: DetectOptions = {}): Promise<number[][]> {
    if (!Array.isArray(premises)) throw new InvalidOptionsError('premises', 'expected an array of strings');
    return this.logitsForPairs(
      premises.map((premise) => ({ premise, hypothesis })),
      opts,
    );
  }

  /**
   * P(entailment) of each premise against the hypothesis: a softmax over the contradiction and entailment
   * logits only (neutral ignored), as the zero-shot pipeline does with `multi_label: true`.
   *
   * @param premises - the premises
   * @param hypothesis - the hypothesis
   * @param opts - an abort signal
   */
  async entailmentProbabilities(
    premises: string[],
    hypothesis: string,
    opts: DetectOptions = {},
  ): Promise<number[]> {
    const rows = await this.logits(premises, hypothesis, opts);
    const info = await this.info();
    return rows.map((r) => entailmentProbability(r, info));
  }

  /**
   * Releases the model (shared models are freed when their last user releases them). Work in flight rejects
   * with `AbortedError` at its next batch (the batch running finishes first, so the model is never freed under
   * it); later calls reject with `AbortedError` too.
   */
  async dispose(): Promise<void> {
    await this.lifetime.end(() => this.holder.release());
  }
}

/**
 * P(entailment) from one row of NLI logits: softmax over the contradiction and entailment logits.
 *
 * @param logits - one row of logits
 * @param labels - where the entailment and contradiction logits are
 * @example
 * ```ts
 * entailmentProbability([0, 0, 1], { entailment: 2, contradiction: 0 }); // 0.731
 * ```
 */
export function entailmentProbability(
  logits: readonly number[],
  labels: Pick<NliLabelInfo, 'entailment' | 'contradiction'>,
): number {
  const e = logits[labels.entailment] ?? 0;
  const c = logits[labels.contradiction] ?? 0;
  const m = Math.max(e, c);
  const ee = Math.exp(e - m);
  return ee / (ee + Math.exp(c - m));
}
