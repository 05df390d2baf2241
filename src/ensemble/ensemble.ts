import { nowMs } from '../core/detection.js';
import type { DetectOptions, Detector, DetectorState } from '../core/detector.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../core/transcript.js';
import { validateTranscript } from '../core/validate.js';
import { validateAll, validateLabelled } from '../core/validate-examples.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { NotFittedError } from '../errors/not-fitted-error.js';
import type { LogisticModel } from '../numeric/logistic-regression.js';
import { sigmoid } from '../numeric/logistic-regression.js';
import { type CalibrateOptions, calibrateThreshold, type ThresholdCalibration } from './calibrate.js';
import { cascadeOrder, cascadeRunning, isConfident } from './cascade.js';
import type { Combination } from './combination.js';
import { buildResult } from './explain.js';
import { fitMember, outOfFoldScores } from './out-of-fold.js';
import { outcomeScore, runMemberBatch } from './run-members.js';
import { combineStacking, fitCombiner } from './stacking.js';
import { parseEnsembleState } from './state.js';
import {
  ENSEMBLE_STRATEGIES,
  type EnsembleOptions,
  type EnsembleResult,
  type EnsembleState,
  type EnsembleStrategy,
  type MemberOutcome,
  type SerializedCombiner,
  type UnserializedMemberState,
} from './types.js';
import { combineWeightedMean } from './weighted-mean.js';

/** Options for {@link Ensemble.calibrate}. */
export interface EnsembleCalibrateOptions extends CalibrateOptions {
  /** Cancels the scoring; the promise then rejects with `AbortedError`. */
  signal?: AbortSignal;
}

/** What {@link Ensemble.calibrate} chose and achieved. */
export interface EnsembleCalibration extends ThresholdCalibration {
  /** Calibration examples left out because the ensemble abstained on them. */
  abstained: number;
}

/** Options for {@link Ensemble.fromJSON}. */
export interface EnsembleFromJsonOptions {
  /**
   * Rebuilds one member from its saved state (what the member's `toJSON()` returned, or an
   * `UnserializedMemberState` naming a member that had no `toJSON()`). The rebuilt member must keep its name.
   */
  resolve: (
    memberState: DetectorState,
    info: { index: number; name: string },
  ) => Detector | Promise<Detector>;
  /**
   * Passed on as the new ensemble's `cloneMember` option, for later `fit()` calls.
   * @defaultValue undefined
   */
  cloneMember?: (detector: Detector) => Detector;
}

const DEFAULT_MARGIN = Math.log(9);

/**
 * Combines several detectors into one. The ensemble is itself a {@link Detector}, so it goes wherever a
 * detector goes (the CLI, the service, `evaluateDetector`, another ensemble).
 *
 * - Each member's result, or its error as data, is kept in `members`; a member that throws does not sink
 *   the ensemble (cancellation and the ensemble's own input validation do propagate).
 * - Abstaining members (score `null`) are left out, never counted as 0.5; when no member scores, the ensemble
 *   abstains.
 * - Strategies: `weighted-mean` (weighted mean of log-odds), `stacking` (a logistic combiner learned by
 *   {@link Ensemble.fit} on out-of-fold scores), `cascade` (cheapest member first, stopping once confident).
 * - {@link Ensemble.calibrate} sets the threshold for a target false-positive rate.
 *
 * @example
 * ```ts
 * const ens = new Ensemble([new HeuristicDetector(), timing], { strategy: 'weighted-mean', weights: { timing: 2 } });
 * const r = await ens.detect(transcript);
 * r.score; // P(bot), or null when every member abstained
 * r.explanation; // ['Bot: P(bot) = 0.812 from the weighted mean ...', '"heuristic" gave P(bot) = 0.700, ...']
 * ```
 */
export class Ensemble implements Detector {
  /** The ensemble's name (option `name`). */
  readonly name: string;
  /** How members are combined. */
  readonly strategy: EnsembleStrategy;
  readonly #members: readonly Detector[];
  readonly #names: readonly string[];
  readonly #weights: readonly number[];
  readonly #costs: Readonly<Record<string, number>> | undefined;
  readonly #order: readonly number[];
  readonly #margin: number;
  readonly #folds: number;
  readonly #seed: number;
  readonly #l2: number;
  readonly #cloneMember: ((detector: Detector) => Detector) | undefined;
  #threshold: number;
  #combiner: LogisticModel | null = null;
  #combiners: LogisticModel[] | null = null;
  #disposed = false;

  /**
   * @param detectors - the members (at least one, unique names)
   * @param options - strategy, threshold, weights and the rest; see {@link EnsembleOptions}
   * @throws InvalidOptionsError naming the bad option
   */
  constructor(detectors: readonly Detector[], options: EnsembleOptions = {}) {
    if (!Array.isArray(detectors) || detectors.length === 0) {
      throw new InvalidOptionsError('detectors', 'give at least one detector');
    }
    const names: string[] = [];
    detectors.forEach((d, i) => {
      if (typeof d !== 'object' || d === null || typeof d.detect !== 'function') {
        throw new InvalidOptionsError(
          'detectors',
          `detectors[${i}] is not a Detector (an object with name and detect())`,
        );
      }
      if (typeof d.name !== 'string' || d.name === '') {
        throw new InvalidOptionsError(
          'detectors',
          `detectors[${i}] has no name: give every member a unique, non-empty name`,
        );
      }
      if (names.includes(d.name)) {
        throw new InvalidOptionsError(
          'detectors',
          `two members are named "${d.name}": member names must be unique`,
        );
      }
      names.push(d.name);
    });
    const strategy = options.strategy ?? 'weighted-mean';
    if (!ENSEMBLE_STRATEGIES.includes(strategy)) {
      throw new InvalidOptionsError(
        'strategy',
        `got ${JSON.stringify(strategy)}; use one of ${ENSEMBLE_STRATEGIES.join(', ')}`,
      );
    }
    const name = options.name ?? 'ensemble';
    if (typeof name !== 'string' || name === '')
      throw new InvalidOptionsError('name', 'must be a non-empty string');
    const threshold = options.threshold ?? 0.5;
    checkThreshold(threshold);
    const weights = names.map(() => 1);
    for (const [k, w] of Object.entries(options.weights ?? {})) {
      const j = names.indexOf(k);
      if (j < 0)
        throw new InvalidOptionsError(
          'weights',
          `"${k}" is not a member; members are ${names.map((n) => `"${n}"`).join(', ')}`,
        );
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new InvalidOptionsError(
          'weights',
          `weight of "${k}" is ${String(w)}; weights must be finite and >= 0`,
        );
      }
      weights[j] = w;
    }
    if (weights.every((w) => w === 0))
      throw new InvalidOptionsError(
        'weights',
        'every weight is 0: give at least one member a positive weight',
      );
    if (options.costs !== undefined) {
      for (const [k, c] of Object.entries(options.costs)) {
        if (!names.includes(k))
          throw new InvalidOptionsError(
            'costs',
            `"${k}" is not a member; members are ${names.map((n) => `"${n}"`).join(', ')}`,
          );
        if (typeof c !== 'number' || !Number.isFinite(c))
          throw new InvalidOptionsError(
            'costs',
            `cost of "${k}" is ${String(c)}; costs must be finite numbers`,
          );
      }
    }
    const margin = options.margin ?? DEFAULT_MARGIN;
    if (typeof margin !== 'number' || !Number.isFinite(margin) || margin <= 0) {
      throw new InvalidOptionsError(
        'margin',
        `got ${String(margin)}; use a positive number of log-odds (default ln 9 = 2.197)`,
      );
    }
    const folds = options.folds ?? 5;
    if (!Number.isInteger(folds) || folds < 2)
      throw new InvalidOptionsError('folds', `got ${String(folds)}; use an integer of at least 2`);
    const seed = options.seed ?? 42;
    if (!Number.isInteger(seed)) throw new InvalidOptionsError('seed', `got ${String(seed)}; use an integer`);
    const l2 = options.l2 ?? 1;
    if (typeof l2 !== 'number' || !Number.isFinite(l2) || l2 < 0)
      throw new InvalidOptionsError('l2', `got ${String(l2)}; use a finite number >= 0`);
    if (options.cloneMember !== undefined && typeof options.cloneMember !== 'function') {
      throw new InvalidOptionsError(
        'cloneMember',
        'must be a function (detector) => fresh unfitted detector',
      );
    }
    this.name = name;
    this.strategy = strategy;
    this.#members = [...detectors];
    this.#names = names;
    this.#weights = weights;
    this.#costs = options.costs ? { ...options.costs } : undefined;
    this.#order = cascadeOrder(names, this.#costs);
    this.#margin = margin;
    this.#folds = folds;
    this.#seed = seed;
    this.#l2 = l2;
    this.#cloneMember = options.cloneMember;
    this.#threshold = threshold;
  }

  /** P(bot) at or above which the label is `bot`; set by the `threshold` option or {@link Ensemble.calibrate}. */
  get threshold(): number {
    return this.#threshold;
  }

  /** The members, in the order given. */
  get members(): readonly Detector[] {
    return this.#members;
  }

  /** Names of the members in the order a cascade runs them (the given order for other strategies). */
  get runOrder(): readonly string[] {
    return this.strategy === 'cascade' ? this.#order.map((j) => this.#names[j]!) : [...this.#names];
  }

  /** Whether `fit()` (or fitted state) has given the ensemble learned combiner(s). */
  get isFitted(): boolean {
    return this.strategy === 'stacking'
      ? this.#combiner !== null
      : this.strategy === 'cascade'
        ? this.#combiners !== null
        : false;
  }

  /**
   * Judges one transcript: validates it once, runs the members on the frozen copy, and combines.
   *
   * @param t - the transcript
   * @param opts - an optional `signal`
   * @throws InvalidTranscriptError on bad input; NotFittedError for an unfitted `stacking` ensemble;
   *   AbortedError when cancelled; BotlensError `ALL_MEMBERS_FAILED` when every member threw
   *
   * @example
   * ```ts
   * const r = await ensemble.detect(transcript, { signal: AbortSignal.timeout(5000) });
   * ```
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<EnsembleResult> {
    const started = nowMs();
    const what = `Ensemble "${this.name}" detect()`;
    this.#checkUsable();
    AbortedError.throwIfAborted(opts.signal, what);
    const v = validateTranscript(t);
    this.#checkFitted();
    const [r] = await this.#run([v], opts.signal, what, started, this.#threshold, true);
    return r!;
  }

  /**
   * Judges many transcripts. Every transcript is validated first (a bad one rejects the call, its index in
   * the issue path). Members with `detectBatch` get the whole batch; a cascade passes each stage only the
   * transcripts it is not yet confident about. Each result's `elapsedMs` is the batch's wall time divided
   * by its size.
   *
   * @param ts - the transcripts
   * @param opts - an optional `signal`
   *
   * @example
   * ```ts
   * const results = await ensemble.detectBatch(transcripts);
   * ```
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<EnsembleResult[]> {
    const started = nowMs();
    const what = `Ensemble "${this.name}" detectBatch()`;
    this.#checkUsable();
    AbortedError.throwIfAborted(opts.signal, what);
    const valids = validateAll(ts, 'transcripts');
    this.#checkFitted();
    return this.#run(valids, opts.signal, what, started, this.#threshold, true);
  }

  /**
   * Fits the ensemble on labelled transcripts.
   *
   * - `weighted-mean`: fits the members that have `fit()` on all examples.
   * - `stacking` and `cascade`: collects out-of-fold scores (K stratified, seeded folds: members with `fit()`
   *   are fitted on K-1 folds and score the held-out one), fits the logistic combiner (stacking) or one
   *   combiner per prefix of the run order (cascade) on them, then re-fits the members on all examples.
   *   Needs both labels and at least `folds` examples.
   *
   * Without `cloneMember`, members are re-fitted in place fold after fold, so if `fit()` fails part-way they
   * are left fitted on one fold's training split; fit again before use.
   *
   * @param examples - labelled transcripts
   * @param opts - an optional `signal`
   * @throws InvalidTranscriptError naming the bad example; InvalidOptionsError when the examples cannot be
   *   split; AbortedError when cancelled; BotlensError `MEMBER_FAILED` when a member fails on every example
   *
   * @example
   * ```ts
   * await ensemble.fit(await readTranscriptsJsonl('train.jsonl'));
   * ```
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    const what = `Ensemble "${this.name}" fit()`;
    const { signal } = opts;
    this.#checkUsable();
    AbortedError.throwIfAborted(signal, what);
    const valids = validateLabelled(examples, 'examples');
    if (examples.length === 0)
      throw new InvalidOptionsError('examples', 'give at least one labelled transcript');
    let combiner: LogisticModel | null = null;
    let combiners: LogisticModel[] | null = null;
    if (this.strategy !== 'weighted-mean') {
      const labels = examples.map((e) => e.label);
      if (!labels.includes('bot') || !labels.includes('human')) {
        throw new InvalidOptionsError(
          'examples',
          `${this.strategy} needs both human and bot examples to learn its combiner`,
        );
      }
      const scores = await outOfFoldScores(this.#members, examples, valids, {
        folds: this.#folds,
        seed: this.#seed,
        cloneMember: this.#cloneMember,
        signal,
        what,
      });
      const rows = examples.map((_, i) => scores.map((col) => col[i]!));
      if (this.strategy === 'stacking') {
        combiner = fitCombiner(rows, labels, this.#l2);
      } else {
        combiners = this.#order.map((_, k) =>
          fitCombiner(
            rows.map((r) => this.#order.slice(0, k + 1).map((j) => r[j]!)),
            labels,
            this.#l2,
          ),
        );
      }
    }
    for (const m of this.#members) {
      AbortedError.throwIfAborted(signal, what);
      await fitMember(m, examples, signal, what);
    }
    this.#combiner = combiner;
    this.#combiners = combiners;
  }

  /**
   * Sets the threshold so that at most `fpr` of the humans in `examples` are labelled bot, as low as that
   * allows (so as many bots as possible are caught). Abstentions are left out and counted. Use examples the
   * ensemble was not fitted on.
   *
   * A cascade's scores depend on the threshold (it stops relative to it), so for `cascade` the threshold is
   * chosen on the scores with every member run, then the real cascade is run at that threshold and its
   * achieved rates are reported (and must meet the target).
   *
   * @param examples - labelled transcripts
   * @param options - `fpr` (e.g. 0.01) and an optional `signal`
   * @returns the threshold chosen and the FPR/TPR achieved on `examples`
   * @throws InvalidOptionsError when `fpr` is not in [0, 1) or a class is missing; BotlensError
   *   `CALIBRATION_UNMET` when no threshold meets the target (the threshold is then left unchanged)
   *
   * @example
   * ```ts
   * const c = await ensemble.calibrate(heldOut, { fpr: 0.01 });
   * console.log(c.threshold, c.fpr, c.tpr);
   * ```
   */
  async calibrate(
    examples: LabelledTranscript[],
    options: EnsembleCalibrateOptions,
  ): Promise<EnsembleCalibration> {
    const started = nowMs();
    const what = `Ensemble "${this.name}" calibrate()`;
    const { signal } = options;
    this.#checkUsable();
    AbortedError.throwIfAborted(signal, what);
    const valids = validateLabelled(examples, 'examples');
    this.#checkFitted();
    const full = await this.#run(valids, signal, what, started, this.#threshold, false);
    const kept = full
      .map((r, i) => ({ score: r.score, label: examples[i]!.label }))
      .filter((x) => x.score !== null);
    const c = calibrateThreshold(
      kept.map((x) => x.score!),
      kept.map((x) => x.label),
      { fpr: options.fpr },
    );
    let result: EnsembleCalibration = { ...c, abstained: full.length - kept.length };
    if (this.strategy === 'cascade' && c.met) {
      const real = await this.#run(valids, signal, what, started, c.threshold, true);
      let fp = 0;
      let tp = 0;
      let neg = 0;
      let pos = 0;
      real.forEach((r, i) => {
        if (r.score === null) return;
        const bot = examples[i]!.label === 'bot';
        if (bot) pos++;
        else neg++;
        if (r.score >= c.threshold) bot ? tp++ : fp++;
      });
      const fpr = neg > 0 ? fp / neg : 0;
      result = {
        ...result,
        fpr,
        tpr: pos > 0 ? tp / pos : 0,
        negatives: neg,
        positives: pos,
        abstained: real.length - neg - pos,
        met: fpr <= options.fpr + 1e-12,
      };
    }
    if (!result.met) {
      throw new BotlensError(
        'CALIBRATION_UNMET',
        `Ensemble "${this.name}" cannot reach FPR <= ${options.fpr} on these examples (best: ${result.fpr.toFixed(4)} at threshold ${result.threshold}): ` +
          (this.strategy === 'cascade'
            ? 'the cascade stops early on humans a later member would clear; raise margin or allow a higher fpr.'
            : 'too many humans score 1; allow a higher fpr or improve the members.'),
      );
    }
    this.#threshold = result.threshold;
    return result;
  }

  /**
   * The fitted state: strategy, threshold, weights, the combiner(s), and each member's own `toJSON()`
   * (members without one are saved as `{ kind: 'unserialized', version: 0, name }`, for the resolver).
   *
   * @example
   * ```ts
   * await writeFile('ensemble.json', JSON.stringify(ensemble.toJSON()));
   * ```
   */
  toJSON(): EnsembleState {
    return {
      kind: 'ensemble',
      version: 1,
      name: this.name,
      strategy: this.strategy,
      threshold: this.#threshold,
      weights: Object.fromEntries(this.#names.map((n, j) => [n, this.#weights[j]!])),
      costs: this.#costs ? { ...this.#costs } : null,
      margin: this.#margin,
      folds: this.#folds,
      seed: this.#seed,
      l2: this.#l2,
      combiner: this.#combiner ? serialize(this.#combiner) : null,
      combiners: this.#combiners ? this.#combiners.map(serialize) : null,
      memberNames: [...this.#names],
      members: this.#members.map((m): DetectorState => {
        if (m.toJSON) return m.toJSON();
        const u: UnserializedMemberState = { kind: 'unserialized', version: 0, name: m.name };
        return u;
      }),
    };
  }

  /**
   * Rebuilds an ensemble from {@link Ensemble.toJSON} output. Members are rebuilt by `resolve` (botlens's
   * detector registry, or your own function; it may be async), one after another in order; each must keep
   * its saved name.
   *
   * @param state - what `toJSON()` returned (typically parsed from a file)
   * @param options - the member resolver
   * @throws InvalidOptionsError when `state` is not valid ensemble state or a rebuilt member's name differs
   *
   * @example
   * ```ts
   * const state = JSON.parse(await readFile('ensemble.json', 'utf8'));
   * const ens = await Ensemble.fromJSON(state, { resolve: detectorFromState });
   * ```
   */
  static async fromJSON(state: unknown, options: EnsembleFromJsonOptions): Promise<Ensemble> {
    if (typeof options?.resolve !== 'function') {
      throw new InvalidOptionsError(
        'resolve',
        'pass { resolve: (memberState) => Detector } to rebuild the members',
      );
    }
    const s = parseEnsembleState(state);
    const members: Detector[] = [];
    for (const [index, ms] of s.members.entries()) {
      const name = s.memberNames[index]!;
      const d = await options.resolve(ms as DetectorState, { index, name });
      if (typeof d !== 'object' || d === null || d.name !== name) {
        throw new InvalidOptionsError(
          'resolve',
          `member ${index} was saved as "${name}" but resolve() returned ${typeof d === 'object' && d !== null ? `"${d.name}"` : String(d)}`,
        );
      }
      members.push(d);
    }
    const weights = Object.fromEntries(Object.entries(s.weights).filter(([k]) => s.memberNames.includes(k)));
    const e = new Ensemble(members, {
      strategy: s.strategy,
      name: s.name,
      threshold: s.threshold,
      weights,
      ...(s.costs ? { costs: s.costs } : {}),
      margin: s.margin,
      folds: s.folds,
      seed: s.seed,
      l2: s.l2,
      ...(options.cloneMember ? { cloneMember: options.cloneMember } : {}),
    });
    e.#combiner = s.combiner ? { weights: [...s.combiner.weights], intercept: s.combiner.intercept } : null;
    e.#combiners = s.combiners
      ? s.combiners.map((c) => ({ weights: [...c.weights], intercept: c.intercept }))
      : null;
    return e;
  }

  /**
   * Disposes every member (all are attempted even if one fails). Calling it again does nothing.
   *
   * @throws BotlensError `DISPOSE_FAILED` when a member's `dispose()` rejected
   *
   * @example
   * ```ts
   * await ensemble.dispose();
   * ```
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const settled = await Promise.allSettled(this.#members.map(async (m) => m.dispose?.()));
    const failed = settled.flatMap((r, j) =>
      r.status === 'rejected' ? [{ name: this.#names[j]!, reason: r.reason as unknown }] : [],
    );
    if (failed.length > 0) {
      throw new BotlensError(
        'DISPOSE_FAILED',
        `Ensemble "${this.name}": ${failed.map((f) => `"${f.name}"`).join(', ')} failed to dispose.`,
        { cause: failed[0]!.reason },
      );
    }
  }

  #checkUsable(): void {
    if (this.#disposed) {
      throw new BotlensError(
        'DISPOSED',
        `Ensemble "${this.name}" was disposed: create a new one (its members were disposed too).`,
      );
    }
  }

  #checkFitted(): void {
    if (this.strategy === 'stacking' && this.#combiner === null) {
      throw new NotFittedError(
        `Ensemble "${this.name}"`,
        'the stacking strategy learns its combiner from labelled data: call ensemble.fit(examples) first, or restore fitted state with Ensemble.fromJSON(state, { resolve }).',
      );
    }
  }

  /** Runs and combines the members on validated transcripts; see detect/detectBatch. */
  async #run(
    valids: readonly ValidTranscript[],
    signal: AbortSignal | undefined,
    what: string,
    started: number,
    threshold: number,
    stopEarly: boolean,
  ): Promise<EnsembleResult[]> {
    const m = this.#members.length;
    const n = valids.length;
    const outcomes: (MemberOutcome | undefined)[][] = valids.map(
      () => new Array<MemberOutcome | undefined>(m),
    );
    const ran: number[][] = valids.map(() => []);
    const combos: Combination[] = new Array<Combination>(n);
    if (this.strategy !== 'cascade') {
      const byMember = await Promise.all(this.#members.map((d) => runMemberBatch(d, valids, signal, what)));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) outcomes[i]![j] = byMember[j]![i]!;
        ran[i] = this.#names.map((_, j) => j);
        const scores = outcomes[i]!.map((o) => outcomeScore(o));
        combos[i] =
          this.strategy === 'stacking' && this.#combiner
            ? combineStacking(this.#combiner, scores)
            : combineWeightedMean(scores, this.#weights);
      }
    } else {
      let active = valids.map((_, i) => i);
      for (let step = 0; step < m && active.length > 0; step++) {
        AbortedError.throwIfAborted(signal, what);
        const j = this.#order[step]!;
        const got = await runMemberBatch(
          this.#members[j]!,
          active.map((i) => valids[i]!),
          signal,
          what,
        );
        const still: number[] = [];
        active.forEach((i, k) => {
          outcomes[i]![j] = got[k]!;
          ran[i]!.push(j);
          const prefix = ran[i]!;
          combos[i] = cascadeRunning(
            prefix.map((x) => outcomeScore(outcomes[i]![x])),
            prefix.map((x) => this.#weights[x]!),
            this.#combiners?.[prefix.length - 1],
          );
          const lo = combos[i]!.logOdds;
          if (!(stopEarly && isConfident(lo === null ? null : sigmoid(lo), threshold, this.#margin)))
            still.push(i);
        });
        active = still;
      }
    }
    AbortedError.throwIfAborted(signal, what);
    const elapsedMs = (nowMs() - started) / Math.max(1, n);
    const weighted =
      this.strategy === 'weighted-mean' || (this.strategy === 'cascade' && this.#combiners === null);
    return valids.map((_, i) => {
      const ranI = ran[i]!;
      return buildResult({
        ensemble: this.name,
        strategy: this.strategy,
        threshold,
        names: this.#names,
        weights: this.#weights,
        outcomes: outcomes[i]!,
        ran: ranI,
        skipped: this.strategy === 'cascade' ? this.#order.filter((j) => !ranI.includes(j)) : [],
        combination: combos[i]!,
        weighted,
        margin: this.#margin,
        elapsedMs,
      });
    });
  }
}

function serialize(m: LogisticModel): SerializedCombiner {
  return { weights: [...m.weights], intercept: m.intercept };
}

function checkThreshold(t: unknown): void {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) {
    throw new InvalidOptionsError('threshold', `got ${String(t)}; use P(bot) in [0, 1], e.g. 0.5`);
  }
}
