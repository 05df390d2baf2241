import { describeValue } from '../../core/describe-value.js';
import { abstained, scored } from '../../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState, Evidence } from '../../core/detector.js';
import {
  beginDetect,
  checkName,
  checkState,
  checkThreshold,
  detectEach,
  optionalChoice,
  type StateFormat,
} from '../../core/detector-kit.js';
import type { JsonObject } from '../../core/json.js';
import { refuseUnknownDetectOptions } from '../../core/method-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { targetMessages, validateTranscript } from '../../core/validate.js';
import { validateLabelled } from '../../core/validate-examples.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import { sigmoid } from '../../numeric/logistic-regression.js';
import { CausalLmScorer } from '../../runtime/causal-lm-scorer.js';
import type { Embedder } from '../../runtime/embedder.js';
import { modelSourceOf } from '../../runtime/embedder-source.js';
import { LazyPromise } from '../../runtime/lazy-promise.js';
import { MODEL_OPTION_KEYS, pickModelOptions, validateModelOptions } from '../../runtime/model-options.js';
import { cosine } from '../../runtime/tensor-data.js';
import { defaultModelFor } from '../../zoo/model-zoo.js';
import { modelDetectorState } from '../model-detector-kit.js';
import {
  balancedOrder,
  chatRenderer,
  embedderFromSavedId,
  hasChatTemplate,
  optionsFromState,
  pct,
  serializeExample,
  targetText,
} from './few-shot-helpers.js';
import type { FewShotPrompt, FewShotPromptOptions, FewShotScoring, PoolItem } from './few-shot-options.js';
import {
  type AnswerWords,
  DEFAULT_INSTRUCTION,
  dialogueLines,
  fitPromptToBudget,
  type PromptParts,
  renderPlainPrompt,
} from './prompt-format.js';

/** Every key of {@link FewShotPromptOptions}: `new FewShotPromptDetector()` refuses any other. */
const FEW_SHOT_PROMPT_DETECTOR_OPTION_KEYS: OptionKeys<FewShotPromptOptions> = {
  ...MODEL_OPTION_KEYS,
  name: true,
  threshold: true,
  examples: true,
  shots: true,
  embedder: true,
  words: true,
  scoring: true,
  contextTokens: true,
  instruction: true,
  anonymize: true,
  maxMessageChars: true,
  chatTemplate: true,
  maxPool: true,
};

const FORMAT: StateFormat = { kind: 'fewshot', version: 1, owner: 'FewShotPromptDetector', label: 'fewshot' };
const DEFAULT_CONTEXT_CAP = 1024;

/**
 * Asks a causal LM. The prompt holds a few labelled example conversations (3-5), each followed by its answer,
 * then the target conversation; the model's next-token probabilities give
 * `score = P(bot word) / (P(bot word) + P(human word))`. Instruct models get their own chat template; base
 * models a plain-text prompt. The prompt always fits the model's context: examples are shortened or dropped
 * first, and the target's last turns are never cut.
 *
 * Examples come from `examples` or `fit()`; with an `embedder`, the most similar ones are picked per target.
 * Default model: the zoo's `fewshot` entry (`onnx-community/Qwen2.5-0.5B-Instruct`).
 *
 * @example
 * ```ts
 * const d = new FewShotPromptDetector({ model: 'onnx-community/Qwen2.5-0.5B-Instruct', dtype: 'q8' });
 * await d.fit(labelledTranscripts);
 * const r = await d.detect(transcript);
 * console.log(r.score, r.evidence[0]?.sentence);
 * await d.dispose();
 * ```
 */
export class FewShotPromptDetector implements Detector {
  /** The `Detector` contract version this class implements. */
  readonly specificationVersion = 'v1' as const;
  /** The detector's name in results. */
  readonly name: string;
  /** Score at or above which the label is `bot`. */
  readonly threshold: number;
  /** Examples per prompt. */
  readonly shots: number;
  /** How the answer words are compared. */
  readonly scoring: FewShotScoring;
  private readonly options: FewShotPromptOptions;
  private readonly scorer: CausalLmScorer;
  private readonly embedder: Embedder | undefined;
  /** An embedder `fromJSON` rebuilt from its saved id: this detector made it, so `dispose()` frees it. */
  private ownedEmbedder: Embedder | undefined;
  private readonly maxPool: number;
  private pool: PoolItem[] = [];
  private readonly poolVectors = new LazyPromise<Float32Array[]>();
  private isFitted = false;

  /**
   * @param options - see {@link FewShotPromptOptions}
   * @throws InvalidOptionsError naming the bad option; InvalidTranscriptError for a bad example
   */
  constructor(options: FewShotPromptOptions = {}) {
    refuseUnknownKeys(
      options,
      FEW_SHOT_PROMPT_DETECTOR_OPTION_KEYS,
      'the options of new FewShotPromptDetector()',
    );
    validateModelOptions(options);
    this.name = checkName(options.name, FORMAT.kind);
    this.threshold = checkThreshold(options.threshold);
    const shots = options.shots ?? 4;
    if (!(Number.isInteger(shots) && shots >= 1 && shots <= 16)) {
      throw new InvalidOptionsError(
        'shots',
        `expected an integer from 1 to 16 (3 to 5 works best), got ${describeValue(shots)}`,
      );
    }
    this.scoring =
      optionalChoice('scoring', options.scoring ?? undefined, ['first-token', 'sequence']) ?? 'first-token';
    if (
      options.contextTokens !== undefined &&
      !(Number.isInteger(options.contextTokens) && options.contextTokens >= 8)
    ) {
      throw new InvalidOptionsError(
        'contextTokens',
        `expected an integer of at least 8, got ${describeValue(options.contextTokens)}`,
      );
    }
    optionalChoice('chatTemplate', options.chatTemplate, ['auto', 'never']);
    if (
      options.instruction !== undefined &&
      (typeof options.instruction !== 'string' || options.instruction.trim() === '')
    ) {
      throw new InvalidOptionsError('instruction', 'expected a non-empty string');
    }
    if (
      options.maxMessageChars !== undefined &&
      !(Number.isInteger(options.maxMessageChars) && options.maxMessageChars >= 1)
    ) {
      throw new InvalidOptionsError(
        'maxMessageChars',
        `expected a positive integer, got ${describeValue(options.maxMessageChars)}`,
      );
    }
    const maxPool = options.maxPool ?? 200;
    if (!(Number.isInteger(maxPool) && maxPool >= 1)) {
      throw new InvalidOptionsError('maxPool', `expected a positive integer, got ${describeValue(maxPool)}`);
    }
    if (options.words !== undefined) {
      const w = options.words;
      for (const k of ['bot', 'human'] as const) {
        if (w[k] !== undefined && (typeof w[k] !== 'string' || w[k].trim() === '')) {
          throw new InvalidOptionsError(`words.${k}`, 'expected a non-empty string such as " bot"');
        }
      }
      if (w.bot !== undefined && w.bot === w.human)
        throw new InvalidOptionsError('words', 'the bot and human words must differ');
    }
    const e = options.embedder;
    if (
      e !== undefined &&
      (typeof e !== 'object' || e === null || typeof e.embed !== 'function' || typeof e.id !== 'string')
    ) {
      throw new InvalidOptionsError('embedder', 'expected an Embedder ({ id, embed(texts) })');
    }
    this.shots = shots;
    this.maxPool = maxPool;
    this.embedder = e;
    this.options = { ...options, model: options.model ?? defaultModelFor('fewshot').id };
    this.scorer = new CausalLmScorer(pickModelOptions(this.options));
    if (options.examples !== undefined) {
      this.pool = this.toPool(options.examples, 'examples');
    }
  }

  /** True once `fit()` has run (or the state came from a fitted detector). */
  get fitted(): boolean {
    return this.isFitted;
  }

  /** How many labelled examples the pool holds. */
  get poolSize(): number {
    return this.pool.length;
  }

  /**
   * Keeps labelled examples for the prompts (a label-balanced subset of at most `maxPool`, in input order) and,
   * with an embedder, embeds them for similarity search. Nothing else is learned: the score is the model's own.
   *
   * @param examples - labelled transcripts
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError naming a bad example; InvalidOptionsError when there is none
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    refuseUnknownDetectOptions(opts, 'fit', this.name);
    AbortedError.throwIfAborted(opts.signal, `${this.name} fit`);
    const pool = this.toPool(examples, 'examples');
    if (pool.length === 0)
      throw new InvalidOptionsError('examples', 'fit needs at least one labelled example');
    this.pool = pool;
    this.poolVectors.reset();
    if (this.embedder) await this.vectors(opts);
    this.isFitted = true;
  }

  /**
   * Builds the prompt the model reads for a transcript (examples picked, shortened to the context).
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @throws NotFittedError when there are no examples; InvalidTranscriptError on bad input
   */
  async buildPrompt(t: Transcript, opts: DetectOptions = {}): Promise<FewShotPrompt> {
    AbortedError.throwIfAborted(opts.signal, `${this.name} detect`);
    return this.prompt(validateTranscript(t), opts);
  }

  /**
   * Judges the transcript's target speaker.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @throws NotFittedError without examples; InvalidTranscriptError on bad input; AbortedError when cancelled
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const { started, v } = beginDetect(this.name, t, opts);
    if (targetMessages(v).every((m) => m.text.trim() === '')) {
      return abstained(this.name, `"${v.target}" wrote no text, so there is nothing to judge.`, started);
    }
    const p = await this.prompt(v, opts);
    const cands = [p.words.bot, p.words.human];
    const r =
      this.scoring === 'first-token'
        ? await this.scorer.nextTokenDistribution(p.text, cands, opts)
        : await this.scorer.sequenceLogprobs(p.text, cands, opts);
    const [lb, lh] = r.logprobs as [number, number];
    const logOdds = lb - lh;
    const score = sigmoid(logOdds);
    const nBots = p.exampleLabels.filter((l) => l === 'bot').length;
    const evidence: Evidence[] = [
      {
        name: 'bot_vs_human',
        value: score,
        sentence: `After ${p.exampleLabels.length} labelled example(s), ${this.options.model} puts ${pct(score)} of the answer probability on "${p.words.bot.trim()}" rather than "${p.words.human.trim()}".`,
        contribution: logOdds,
      },
      {
        name: 'p_bot_word',
        value: Math.exp(lb),
        sentence: `P(${JSON.stringify(p.words.bot)}${this.scoring === 'first-token' ? ', first token' : ''}) = ${Math.exp(lb).toPrecision(3)}.`,
      },
      {
        name: 'p_human_word',
        value: Math.exp(lh),
        sentence: `P(${JSON.stringify(p.words.human)}${this.scoring === 'first-token' ? ', first token' : ''}) = ${Math.exp(lh).toPrecision(3)}.`,
      },
      {
        name: 'prompt',
        value: {
          tokens: p.tokens,
          examples: p.exampleLabels.length,
          bot_examples: nBots,
          chat: p.chat,
          truncated: p.truncated,
        },
        sentence: `${p.tokens}-token ${p.chat ? 'chat-template' : 'plain'} prompt with ${p.exampleLabels.length} example(s) (${nBots} bot)${p.truncated ? '; examples or early turns were cut to fit the context' : ''}.`,
      },
    ];
    return scored(this.name, score, this.threshold, evidence, started);
  }

  /**
   * Judges many transcripts, in order (one forward pass each).
   *
   * @param ts - the transcripts
   * @param opts - `signal`, checked before each transcript
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    return detectEach(this, ts, opts);
  }

  /** The options and the example pool as JSON, for {@link FewShotPromptDetector.fromJSON}. */
  toJSON(): DetectorState {
    const o = this.options;
    const state = modelDetectorState(FORMAT, this, {}, { model: o });
    Object.assign(state, {
      shots: this.shots,
      scoring: this.scoring,
      maxPool: this.maxPool,
      anonymize: o.anonymize ?? true,
      maxMessageChars: o.maxMessageChars ?? 500,
      chatTemplate: o.chatTemplate ?? 'auto',
      embedder: this.embedder?.id ?? null,
      fitted: this.isFitted,
    });
    // Where a transformer embedder's model came from (its id names a local folder by its base name only).
    const source = modelSourceOf(this.embedder);
    if (source) state['embedderModel'] = { ...source };
    Object.assign(state, {
      examples: this.pool.map((p) => serializeExample(p)),
    });
    if (o.contextTokens !== undefined) state['contextTokens'] = o.contextTokens;
    if (o.instruction !== undefined) state['instruction'] = o.instruction;
    if (o.words !== undefined) {
      const w: JsonObject = {};
      if (o.words.bot !== undefined) w['bot'] = o.words.bot;
      if (o.words.human !== undefined) w['human'] = o.words.human;
      state['words'] = w;
    }
    return state;
  }

  /**
   * Rebuilds a detector from {@link FewShotPromptDetector.toJSON} output. When the state was made with an
   * embedder, pass the same one (same `id`), or let it be rebuilt from the saved id: a `HashingEmbedder`
   * exactly, a `TransformersEmbedder` with the same model, dtype, pooling and prefix, loaded from where the
   * state says its model came from (`embedderModel`, relocated by `overrides`' `modelDir`, `cacheDir`,
   * `offline`), or for older states from the same place as the language model. An embedder rebuilt here is
   * disposed with the detector.
   *
   * @param state - the saved state
   * @param overrides - options replacing the saved ones (`embedder`, `modelDir`, `onProgress`...)
   * @throws InvalidOptionsError for a state of another kind/version, bad values, or a missing/different embedder
   *
   * @example
   * ```ts
   * const d = FewShotPromptDetector.fromJSON(JSON.parse(await readFile('fewshot.json', 'utf8')), { modelDir: '/models' });
   * ```
   */
  static fromJSON(state: DetectorState, overrides: FewShotPromptOptions = {}): FewShotPromptDetector {
    checkState(state, FORMAT);
    const opts = optionsFromState(state);
    const examples = state['examples'];
    if (!Array.isArray(examples))
      throw new InvalidOptionsError('state.examples', 'expected an array of labelled transcripts');
    const merged = { ...opts, ...overrides };
    const embedderId = state['embedder'];
    let owned: Embedder | undefined;
    if (typeof embedderId === 'string') {
      if (!merged.embedder) {
        owned = embedderFromSavedId(embedderId, merged, state['embedderModel'], overrides);
        merged.embedder = owned;
      }
      if (merged.embedder.id !== embedderId) {
        throw new InvalidOptionsError(
          'embedder',
          `the state was made with "${embedderId}" but "${merged.embedder.id}" was given`,
        );
      }
    }
    const d = new FewShotPromptDetector(merged);
    d.ownedEmbedder = owned;
    d.pool = d.toPool(examples as unknown as LabelledTranscript[], 'state.examples', false);
    d.isFitted = state['fitted'] === true;
    return d;
  }

  /** Releases the model (the shared session is freed when no other component holds it). The embedder is not disposed. */
  async dispose(): Promise<void> {
    await this.scorer.dispose();
    await this.ownedEmbedder?.dispose?.();
  }

  private toPool(examples: unknown, what: string, subset = true): PoolItem[] {
    const items = examples as LabelledTranscript[];
    const all = validateLabelled(items, what).map((t, i) => ({ t, label: items[i]!.label }));
    return subset ? balancedOrder(all, this.maxPool) : all;
  }

  private vectors(opts: DetectOptions): Promise<Float32Array[]> {
    return this.poolVectors.get(() =>
      this.embedder!.embed(
        this.pool.map((p) => targetText(p.t)),
        opts,
      ),
    );
  }

  private async select(v: ValidTranscript, opts: DetectOptions): Promise<PoolItem[]> {
    const k = Math.min(this.shots, this.pool.length);
    if (!this.embedder) return balancedOrder(this.pool, k);
    const [poolVecs, [query]] = await Promise.all([
      this.vectors(opts),
      this.embedder.embed([targetText(v)], opts),
    ]);
    if (!query || poolVecs.length !== this.pool.length) {
      throw new InvalidOptionsError(
        'embedder',
        `returned ${poolVecs.length} vectors for ${this.pool.length} texts`,
      );
    }
    const sims = poolVecs.map((p, i) => ({ i, s: cosine(query, p) }));
    sims.sort((a, b) => b.s - a.s || a.i - b.i);
    const chosen = sims.slice(0, k);
    // Keep both labels in the prompt when the pool has both: swap the least similar pick for the best of the other.
    const labels = new Set(chosen.map((c) => this.pool[c.i]!.label));
    if (labels.size === 1 && k >= 2) {
      const other = sims.find((c) => this.pool[c.i]!.label !== this.pool[chosen[0]!.i]!.label);
      if (other) chosen[chosen.length - 1] = other;
    }
    chosen.sort((a, b) => a.s - b.s || b.i - a.i); // least similar first, the most similar next to the target
    return chosen.map((c) => this.pool[c.i]!);
  }

  private async prompt(v: ValidTranscript, opts: DetectOptions): Promise<FewShotPrompt> {
    if (this.pool.length === 0) {
      throw new NotFittedError(
        this.name,
        'it has no labelled examples: pass { examples } to the constructor or call fit(examples)',
      );
    }
    const handle = await this.scorer.load(opts);
    const tokenizer = handle.tokenizer;
    const chat = (this.options.chatTemplate ?? 'auto') === 'auto' && hasChatTemplate(tokenizer);
    const words: AnswerWords = {
      bot: this.options.words?.bot ?? (chat ? 'bot' : ' bot'),
      human: this.options.words?.human ?? (chat ? 'human' : ' human'),
    };
    const format = {
      anonymize: this.options.anonymize ?? true,
      maxMessageChars: this.options.maxMessageChars ?? 500,
    };
    const picked = await this.select(v, opts);
    AbortedError.throwIfAborted(opts.signal, `${this.name} detect`);
    const parts: PromptParts = {
      instruction: this.options.instruction ?? DEFAULT_INSTRUCTION,
      examples: picked.map((p) => ({ lines: dialogueLines(p.t, format), label: p.label })),
      target: dialogueLines(v, format),
    };
    const render = chat
      ? chatRenderer(tokenizer, parts, words)
      : (p: PromptParts) => renderPlainPrompt(p, words);
    const ctx = await this.scorer.contextLength();
    const requested = this.options.contextTokens ?? Math.min(ctx, DEFAULT_CONTEXT_CAP);
    if (requested > ctx) {
      throw new InvalidOptionsError(
        'contextTokens',
        `${requested} exceeds ${this.options.model}'s context of ${ctx} tokens`,
      );
    }
    // Sequence scoring appends the answer's tokens to the prompt, so leave room for the longest answer.
    const answerTokens =
      this.scoring === 'sequence'
        ? Math.max(
            ...[words.bot, words.human].map((w) => tokenizer.encode(w, { add_special_tokens: false }).length),
          )
        : 0;
    const fitted = fitPromptToBudget(parts, {
      render,
      countTokens: (s) => tokenizer.encode(s).length,
      budget: requested - answerTokens,
    });
    return { ...fitted, chat, words, exampleLabels: fitted.parts.examples.map((e) => e.label) };
  }
}
