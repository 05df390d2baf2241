import type { DetectOptions, Detector, DetectorState } from '../core/detector.js';
import type { LabelledTranscript, Transcript } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { Ensemble, type EnsembleFromJsonOptions } from './ensemble.js';
import type { EnsembleFitOptions, EnsembleResult, EnsembleState } from './types.js';

/**
 * The seed of bag `k`: bag 0 keeps `seed`, so one bag is the plain fit; the others spread over the integers.
 *
 * @internal
 */
export function bagSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed + Math.imul(k, 0x9e3779b1)) | 0;
}

/**
 * Options of {@link BaggedEnsemble}.
 *
 * @internal
 */
export interface BaggedEnsembleOptions {
  /**
   * How many whole ensembles (members and combiner) to fit, bag k with the ensemble seed `bagSeed(seed, k)`,
   * all on the same examples; their P(bot) is averaged.
   * @defaultValue 1 (one ensemble: the plain fit, bit for bit)
   */
  bags?: number;
  /**
   * The seed of bag 0 (the ensemble option `seed`).
   * @defaultValue 42
   */
  seed?: number;
}

/**
 * Saved state of a {@link BaggedEnsemble}.
 *
 * @internal
 */
export type BaggedEnsembleState = DetectorState & {
  /** Always `bagged-ensemble`. */
  kind: 'bagged-ensemble';
  /** State format version: 1. */
  version: 1;
  /** The seed of bag 0. */
  seed: number;
  /** Each bag's fitted ensemble state, bag 0 first. */
  bags: EnsembleState[];
};

/**
 * An experiment for issue 11 (measured, not kept; see "Bagged whole ensembles" in docs/evaluation.md): K whole
 * ensembles, each made by `make(seed)` with the seed of its bag and fitted on the same examples, their P(bot)
 * averaged. With one bag it is the plain ensemble: same fit, same detections. K bags cost K times the fit,
 * `detect()` and saved state.
 *
 * @internal
 */
export class BaggedEnsemble implements Detector {
  readonly name: string;
  readonly #bags: Ensemble[];
  readonly #seed: number;

  private constructor(bags: Ensemble[], seed: number) {
    this.#bags = bags;
    this.#seed = seed;
    this.name = bags[0]!.name;
  }

  /**
   * Makes the bags, unfitted.
   *
   * @param make - builds an unfitted ensemble with the given ensemble seed
   * @param options - the number of bags and the seed of bag 0
   * @throws InvalidOptionsError when `bags` is not a positive integer
   */
  static async create(
    make: (seed: number) => Ensemble | Promise<Ensemble>,
    options: BaggedEnsembleOptions = {},
  ): Promise<BaggedEnsemble> {
    const bags = options.bags ?? 1;
    if (!Number.isInteger(bags) || bags < 1)
      throw new InvalidOptionsError('bags', `expected a positive integer, got ${String(bags)}`);
    const seed = options.seed ?? 42;
    const made: Ensemble[] = [];
    for (let k = 0; k < bags; k++) made.push(await make(bagSeed(seed, k)));
    return new BaggedEnsemble(made, seed);
  }

  /** The bags' ensembles, bag 0 first. */
  get bags(): readonly Ensemble[] {
    return this.#bags;
  }

  /**
   * Fits every bag on `examples`, one after another.
   *
   * @param examples - labelled transcripts
   * @param opts - as `Ensemble.fit` takes them (`groups`, `signal`)
   */
  async fit(examples: LabelledTranscript[], opts: EnsembleFitOptions = {}): Promise<void> {
    for (const e of this.#bags) await e.fit(examples, opts);
  }

  /**
   * Judges one transcript: bag 0's result with P(bot) the mean over the bags (the bags that abstain left out).
   *
   * @param t - the transcript
   * @param opts - an optional `signal`
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<EnsembleResult> {
    return this.#mean(await Promise.all(this.#bags.map((e) => e.detect(t, opts))));
  }

  /**
   * Judges many transcripts, each as {@link BaggedEnsemble.detect} would.
   *
   * @param ts - the transcripts
   * @param opts - an optional `signal`
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<EnsembleResult[]> {
    const all = await Promise.all(this.#bags.map((e) => e.detectBatch(ts, opts)));
    return ts.map((_, i) => this.#mean(all.map((r) => r[i]!)));
  }

  /** The fitted state: every bag's ensemble state. */
  toJSON(): BaggedEnsembleState {
    return { kind: 'bagged-ensemble', version: 1, seed: this.#seed, bags: this.#bags.map((e) => e.toJSON()) };
  }

  /**
   * Rebuilds a bagged ensemble from {@link BaggedEnsemble.toJSON} output.
   *
   * @param state - what `toJSON()` returned
   * @param options - the member resolver, as `Ensemble.fromJSON` takes it
   * @throws InvalidOptionsError when `state` is not bagged-ensemble state
   */
  static async fromJSON(state: unknown, options: EnsembleFromJsonOptions): Promise<BaggedEnsemble> {
    const s = state as Partial<BaggedEnsembleState> | null;
    if (s?.kind !== 'bagged-ensemble' || s.version !== 1 || !Array.isArray(s.bags) || s.bags.length === 0) {
      throw new InvalidOptionsError(
        'state',
        'not bagged-ensemble state version 1 with at least one bag: pass what BaggedEnsemble.toJSON() returned',
      );
    }
    const bags: Ensemble[] = [];
    for (const b of s.bags) bags.push(await Ensemble.fromJSON(b, options));
    return new BaggedEnsemble(bags, typeof s.seed === 'number' ? s.seed : 42);
  }

  /** Disposes every bag. */
  async dispose(): Promise<void> {
    await Promise.all(this.#bags.map((e) => e.dispose()));
  }

  /** Bag 0's result with the bags' mean P(bot) and the label taken against bag 0's threshold. */
  #mean(rs: EnsembleResult[]): EnsembleResult {
    const first = rs[0]!;
    if (rs.length === 1) return first;
    const scores = rs.flatMap((r) => (r.score === null ? [] : [r.score]));
    if (scores.length === 0) return first;
    const score = scores.reduce((a, b) => a + b, 0) / scores.length;
    return {
      ...first,
      score,
      label: score >= first.threshold ? 'bot' : 'human',
      explanation: [
        `P(bot) = ${score.toFixed(3)}, the mean over ${scores.length} bagged ensembles (${scores.map((x) => x.toFixed(3)).join(', ')}).`,
        ...first.explanation,
      ],
    };
  }
}
