import { abstained, scored } from '../../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState, Evidence } from '../../core/detector.js';
import { beginDetect, beginDetectBatch, beginFit, type StateFormat } from '../../core/detector-kit.js';
import { parseOptions } from '../../core/parse-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { validateTranscript } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { sigmoid } from '../../numeric/logistic-regression.js';
import { BATCH_PLAN_OPTION_KEYS } from '../../runtime/batching.js';
import { MODEL_OPTION_KEYS, validateModelOptions } from '../../runtime/model-options.js';
import {
  entailmentProbability,
  type NliLabelInfo,
  type NliPair,
  NliScorer,
} from '../../runtime/nli-scorer.js';
import {
  modelDetectorState,
  nestedFieldsOfType,
  readModelDetectorOptions,
  withoutKeys,
} from '../model-detector-kit.js';
import { fitScalarCalibration, readScalarCalibration } from '../scalar-calibration.js';
import {
  type NliAnalysis,
  type NliCalibration,
  type NliHypotheses,
  type NliLabelWords,
  type NliWindow,
  type NliWindowScore,
  type NliZeroShotOptions,
  nliDetectorOptionsSchema,
} from './nli-options.js';
import { buildUnits, packUnits, toWindow, type Unit } from './nli-windows.js';

/** Every key of {@link NliZeroShotOptions}: `new NliZeroShotDetector()` refuses any other. */
const NLI_ZERO_SHOT_DETECTOR_OPTION_KEYS: OptionKeys<NliZeroShotOptions> = {
  ...MODEL_OPTION_KEYS,
  ...BATCH_PLAN_OPTION_KEYS,
  maxLength: true,
  name: true,
  threshold: true,
  hypothesisTemplate: true,
  labels: true,
  contextTurns: true,
  l2: true,
};

const FORMAT: StateFormat = { kind: 'nli', version: 1, owner: 'NliZeroShotDetector', label: 'NLI' };
/** The options the detector reads itself; the rest go to its NLI scorer. */
const OWN_KEYS = ['name', 'threshold', 'hypothesisTemplate', 'labels', 'contextTurns', 'l2'] as const;

/**
 * The sentence of the `nli_log_odds` evidence. The hypotheses are quoted as the model read them (the default
 * template gives "This speaker is bot.", the input the model was checked with, so it is named the bot
 * hypothesis rather than read as English); at log-odds that print as 0.000 neither is more entailed.
 *
 * @param z - the log-odds of the bot hypothesis over the human one
 * @param h - the hypotheses sent
 * @param n - the windows scored
 * @internal
 */
export function logOddsSentence(z: number, h: NliHypotheses, n: number): string {
  const shown = z.toFixed(3);
  const over = `over ${n} window${n === 1 ? '' : 's'}`;
  if (Number(shown) === 0) {
    return `The NLI model finds the bot hypothesis ("${h.bot}") and the human one ("${h.human}") equally entailed (log-odds 0.000 ${over}).`;
  }
  const way = z > 0 ? 'more' : 'less';
  return `The NLI model finds the bot hypothesis ("${h.bot}") ${way} entailed than the human one ("${h.human}") (log-odds ${shown} ${over}).`;
}

/**
 * Zero-shot bot detection with a natural-language-inference model: the dialogue is the premise and
 * "This speaker is bot." / "This speaker is human." are the hypotheses.
 *
 * How a transcript is scored:
 * 1. Premise. Each of the target's messages becomes a line `name: text`, preceded by up to `contextTurns`
 *    messages of the others since the target's previous message (names kept as in the transcript).
 * 2. Windows. Lines are packed in order into windows that fit the model's limit (tokenizer `model_max_length` /
 *    config `max_position_embeddings`, minus the hypothesis and special tokens), so every target message is in
 *    exactly one window. A message too long for a window on its own is split at word boundaries.
 * 3. Per window, P(entail | bot hypothesis) and P(entail | human hypothesis), each a softmax over the
 *    contradiction and entailment logits (indices read from `config.id2label`), give
 *    `log(pBot) - log(pHuman)`.
 * 4. Aggregate. The windows' log-odds are averaged, weighted by the target's tokens in each; the score is
 *    `sigmoid(z)` (= pBot / (pBot + pHuman) for a single window), or `sigmoid(a z + b)` after `fit()`.
 *
 * All windows of all transcripts given to `detectBatch` go through the model in length-sorted batches.
 *
 * @example
 * ```ts
 * const nli = new NliZeroShotDetector({ dtype: 'q8' });
 * const d = await nli.detect({
 *   target: 'bot42',
 *   messages: [
 *     { speaker: 'alice', text: 'hey, how was your weekend?' },
 *     { speaker: 'bot42', text: 'Hello ! I am fine . What do you do for fun ?' },
 *   ],
 * });
 * console.log(d.score, d.evidence[0]?.sentence);
 * await nli.dispose();
 * ```
 */
export class NliZeroShotDetector implements Detector {
  /** The `Detector` contract version this class implements. */
  readonly specificationVersion = 'v1' as const;
  /** The detector's name in results. */
  readonly name: string;
  /** Score at or above which the label is `bot`. */
  readonly threshold: number;
  /** The hypothesis template. */
  readonly hypothesisTemplate: string;
  /** The label words. */
  readonly labels: Required<NliLabelWords>;
  /** Context messages per target message. */
  readonly contextTurns: number;
  private readonly l2: number;
  private readonly options: NliZeroShotOptions;
  private readonly scorer: NliScorer;
  private calibration: NliCalibration | null = null;

  /**
   * @param options - see {@link NliZeroShotOptions}
   * @throws InvalidOptionsError naming the bad option
   */
  constructor(options: NliZeroShotOptions = {}) {
    refuseUnknownKeys(
      options,
      NLI_ZERO_SHOT_DETECTOR_OPTION_KEYS,
      'the options of new NliZeroShotDetector()',
    );
    const {
      name,
      threshold,
      hypothesisTemplate: template,
      labels,
      contextTurns,
      l2,
    } = parseOptions(nliDetectorOptionsSchema, options);
    validateModelOptions(options);
    this.name = name;
    this.threshold = threshold;
    this.hypothesisTemplate = template;
    this.labels = labels;
    this.contextTurns = contextTurns;
    this.l2 = l2;
    this.options = { ...options };
    this.scorer = new NliScorer(withoutKeys(options, OWN_KEYS));
  }

  /** True once `fit()` has run (or the state came from a fitted detector). */
  get fitted(): boolean {
    return this.calibration !== null;
  }

  /**
   * The NLI scorer this detector runs (shares its model).
   * @internal
   */
  get nliScorer(): NliScorer {
    return this.scorer;
  }

  /**
   * The hypotheses for a target.
   *
   * @param target - the target speaker's name (for `{speaker}`)
   */
  hypotheses(target: string): NliHypotheses {
    const fill = (word: string) =>
      this.hypothesisTemplate.replaceAll('{speaker}', target).replaceAll('{}', word);
    return { bot: fill(this.labels.bot), human: fill(this.labels.human) };
  }

  /**
   * Splits a unit whose target line alone exceeds the budget into word-bounded pieces, each a line of its own
   * that keeps the `speaker: ` prefix.
   */
  private async splitLong(u: Unit, target: string, budget: number): Promise<Unit[]> {
    const line = u.lines[u.lines.length - 1]!;
    const prefix = `${target}: `;
    const words = line.slice(prefix.length).split(' ');
    const [prefixTokens] = await this.scorer.countTokens([prefix]);
    const room = Math.max(1, budget - prefixTokens! - 1);
    const counts = await this.scorer.countTokens(words.map((w, k) => (k === 0 ? w : ` ${w}`)));
    const out: Unit[] = [];
    let cur: string[] = [];
    let curTokens = 0;
    const flush = () => {
      if (cur.length === 0) return;
      const tokens = curTokens + prefixTokens! + 1;
      out.push({
        lines: [prefix + cur.join(' ')],
        messageIndices: [...u.targetIndices],
        targetIndices: [...u.targetIndices],
        lineTokens: [tokens],
        targetTokens: tokens,
      });
      cur = [];
      curTokens = 0;
    };
    words.forEach((w, k) => {
      const c = counts[k]!;
      if (cur.length > 0 && curTokens + c > room) flush();
      cur.push(w);
      curTokens += c;
    });
    flush();
    return out;
  }

  private async windowsFor(
    vs: readonly ValidTranscript[],
    info: NliLabelInfo,
    signal: AbortSignal | undefined,
  ): Promise<(NliWindow[] | null)[]> {
    const perTranscript = vs.map((v) => buildUnits(v, this.contextTurns));
    const allLines = perTranscript.flatMap((us) => us.flatMap((u) => u.lines));
    const counts = await this.scorer.countTokens(allLines);
    let k = 0;
    for (const us of perTranscript) {
      for (const u of us) {
        u.lineTokens = u.lines.map(() => counts[k++]! + 1); // +1: the newline joining lines
        u.targetTokens = u.lineTokens[u.lineTokens.length - 1]!;
      }
    }
    const out: (NliWindow[] | null)[] = [];
    for (let t = 0; t < vs.length; t++) {
      AbortedError.throwIfAborted(signal, `${this.name} detect`);
      const units = perTranscript[t]!;
      if (units.length === 0) {
        out.push(null);
        continue;
      }
      const hyps = this.hypotheses(vs[t]!.target);
      const overhead = Math.max(
        await this.scorer.pairOverhead(hyps.bot),
        await this.scorer.pairOverhead(hyps.human),
      );
      const budget = Math.max(8, info.maxLength - overhead - 2);
      // Fit every unit under the budget: drop context first, then split the message itself.
      const fitted: Unit[] = [];
      for (const u of units) {
        const total = u.lineTokens.reduce((s, x) => s + x, 0);
        if (total <= budget) fitted.push(u);
        else if (u.targetTokens <= budget) {
          fitted.push({
            ...u,
            lines: [u.lines[u.lines.length - 1]!],
            messageIndices: [...u.targetIndices],
            lineTokens: [u.targetTokens],
          });
        } else fitted.push(...(await this.splitLong(u, vs[t]!.target, budget)));
      }
      const windows = packUnits(fitted, budget);
      // Check the real token count of each premise (subword merges across lines can differ); move units on.
      const result: NliWindow[] = [];
      for (let w = 0; w < windows.length; w++) {
        let group = windows[w]!;
        for (;;) {
          const premise = group.flatMap((u) => u.lines).join('\n');
          const [n] = await this.scorer.countTokens([premise]);
          if (n! <= budget || group.length === 1) {
            result.push(toWindow(group, premise));
            break;
          }
          const last = group[group.length - 1]!;
          group = group.slice(0, -1);
          if (w + 1 < windows.length) windows[w + 1]!.unshift(last);
          else windows.push([last]);
        }
      }
      out.push(result);
    }
    return out;
  }

  private async analyzeMany(
    vs: readonly ValidTranscript[],
    signal: AbortSignal | undefined,
  ): Promise<(NliAnalysis | null)[]> {
    AbortedError.throwIfAborted(signal, `${this.name} detect`);
    const info = await this.scorer.info();
    const windows = await this.windowsFor(vs, info, signal);
    const pairs: NliPair[] = [];
    windows.forEach((ws, t) => {
      if (!ws) return;
      const h = this.hypotheses(vs[t]!.target);
      for (const w of ws)
        pairs.push({ premise: w.premise, hypothesis: h.bot }, { premise: w.premise, hypothesis: h.human });
    });
    const logits = await this.scorer.logitsForPairs(pairs, signal ? { signal } : {});
    let k = 0;
    return windows.map((ws, t) => {
      if (!ws) return null;
      const scoredWindows: NliWindowScore[] = ws.map((w) => {
        const botLogits = logits[k++]!;
        const humanLogits = logits[k++]!;
        const pBot = entailmentProbability(botLogits, info);
        const pHuman = entailmentProbability(humanLogits, info);
        return { ...w, botLogits, humanLogits, pBot, pHuman, score: pBot / (pBot + pHuman) };
      });
      let num = 0;
      let den = 0;
      for (const w of scoredWindows) {
        const weight = Math.max(1, w.targetTokens);
        num += weight * (Math.log(Math.max(w.pBot, 1e-12)) - Math.log(Math.max(w.pHuman, 1e-12)));
        den += weight;
      }
      return {
        hypotheses: this.hypotheses(vs[t]!.target),
        windows: scoredWindows,
        logOdds: den > 0 ? num / den : 0,
      };
    });
  }

  /**
   * Builds the windows of a transcript and scores each against both hypotheses, without combining into a
   * detection. Useful to see what the model read.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @returns the analysis, or `null` when the target wrote no text
   * @throws InvalidTranscriptError on bad input; AbortedError when cancelled; ModelLoadError when the model is missing
   */
  async analyze(t: Transcript, opts: DetectOptions = {}): Promise<NliAnalysis | null> {
    AbortedError.throwIfAborted(opts.signal, `${this.name} detect`);
    const [a] = await this.analyzeMany([validateTranscript(t)], opts.signal);
    return a ?? null;
  }

  private toDetection(v: ValidTranscript, a: NliAnalysis | null, started: number): Detection {
    if (!a)
      return abstained(this.name, `"${v.target}" wrote no text, so there is nothing to judge.`, started);
    const z = a.logOdds;
    const score = this.calibration ? sigmoid(this.calibration.a * z + this.calibration.b) : sigmoid(z);
    const n = a.windows.length;
    const meanBot = a.windows.reduce((s, w) => s + w.pBot, 0) / n;
    const meanHuman = a.windows.reduce((s, w) => s + w.pHuman, 0) / n;
    const evidence: Evidence[] = [
      {
        name: 'nli_log_odds',
        value: z,
        sentence: logOddsSentence(z, a.hypotheses, n),
        contribution: this.calibration ? this.calibration.a * z : z,
      },
      {
        name: 'nli_entail_bot',
        value: meanBot,
        sentence: `Mean P(entailment) of "${a.hypotheses.bot}": ${meanBot.toFixed(3)}.`,
      },
      {
        name: 'nli_entail_human',
        value: meanHuman,
        sentence: `Mean P(entailment) of "${a.hypotheses.human}": ${meanHuman.toFixed(3)}.`,
      },
      {
        name: 'nli_windows',
        value: n,
        sentence: `The target's ${a.windows.reduce((s, w) => s + w.targetIndices.length, 0)} message piece(s) were read in ${n} window(s).`,
      },
    ];
    return scored(this.name, score, this.threshold, evidence, started);
  }

  /**
   * Judges the transcript's target speaker.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel (checked between batches)
   * @throws InvalidTranscriptError on bad input; AbortedError when cancelled; ModelLoadError when the model is missing
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const { started, v } = beginDetect(this.name, t, opts);
    const [a] = await this.analyzeMany([v], opts.signal);
    return this.toDetection(v, a ?? null, started);
  }

  /**
   * Judges many transcripts; the windows of all of them are scored together in length-sorted batches.
   * Scores can differ from `detect` in the last float digits (about 1e-7), as batch shapes differ.
   *
   * @param ts - the transcripts
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError for the first bad transcript
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    const { started, vs } = beginDetectBatch(this.name, ts, opts);
    const analyses = await this.analyzeMany(vs, opts.signal);
    return vs.map((v, i) => this.toDetection(v, analyses[i] ?? null, started));
  }

  /**
   * Learns the calibration `P(bot) = sigmoid(a z + b)` of the aggregate log-odds `z` by logistic regression
   * (classes weighted to balance). Examples whose target wrote no text are skipped.
   *
   * @param examples - labelled transcripts with at least one bot and one human that wrote text
   * @param opts - `signal` to cancel
   * @throws InvalidOptionsError when a class is missing
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    const vs = beginFit(this.name, examples, opts);
    const analyses = await this.analyzeMany(vs, opts.signal);
    this.calibration = fitScalarCalibration(
      analyses.map((a) => a?.logOdds ?? null),
      examples,
      this.l2,
      ' whose target wrote text',
    );
  }

  /** The options and the fitted calibration as JSON, for {@link NliZeroShotDetector.fromJSON}. */
  toJSON(): DetectorState {
    const { hypothesisTemplate, contextTurns, l2, calibration } = this;
    const fields = {
      hypothesisTemplate,
      labels: { ...this.labels },
      contextTurns,
      l2,
      calibration: calibration ? { ...calibration } : null,
    };
    return modelDetectorState(FORMAT, this, fields, { model: this.options, batching: this.options });
  }

  /**
   * Rebuilds a detector from {@link NliZeroShotDetector.toJSON} output. The model loads on first use.
   *
   * @param state - the saved state
   * @param overrides - options that replace the saved ones (e.g. `modelDir` or `onProgress` on another machine)
   * @throws InvalidOptionsError when the state is not a version-1 NLI state
   * @example
   * ```ts
   * const d = NliZeroShotDetector.fromJSON(JSON.parse(await readFile('nli.json', 'utf8')), { offline: true });
   * ```
   */
  static fromJSON(state: DetectorState, overrides: NliZeroShotOptions = {}): NliZeroShotDetector {
    const opts: NliZeroShotOptions = readModelDetectorOptions(state, FORMAT, {
      strings: ['hypothesisTemplate'],
      numbers: ['contextTurns', 'l2'],
    });
    const labels = nestedFieldsOfType(state, 'labels', 'string', ['human', 'bot']);
    if (labels) opts.labels = labels;
    const d = new NliZeroShotDetector({ ...opts, ...overrides });
    d.calibration = readScalarCalibration(state['calibration']);
    return d;
  }

  /** Releases the NLI model. */
  async dispose(): Promise<void> {
    await this.scorer.dispose();
  }
}
