import type { Detection, Evidence } from './detector.js';
import { sharedAcrossCopies } from './shared-across-copies.js';
import type { Label } from './transcript.js';

/** High-resolution wall clock in milliseconds. */
export function nowMs(): number {
  return performance.now();
}

/**
 * Builds a {@link Detection} from a score, labelling it against `threshold`.
 *
 * @param detector - the detector's name
 * @param score - P(bot) in [0, 1]
 * @param threshold - score at or above which the label is `bot`
 * @param evidence - the signals behind the score
 * @param startedMs - `nowMs()` when the work started
 */
export function scored(
  detector: string,
  score: number,
  threshold: number,
  evidence: Evidence[],
  startedMs: number,
): Detection {
  const s = clampScore(score);
  return { detector, score: s, label: labelOf(s, threshold), evidence, elapsedMs: nowMs() - startedMs };
}

/** A score as a detection states it: clamped to [0, 1], 0.5 when not finite. */
function clampScore(score: number): number {
  return Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0.5;
}

/** The label of a (clamped) score against `threshold`. */
function labelOf(score: number, threshold: number): Label {
  return score >= threshold ? 'bot' : 'human';
}

/**
 * Builds an abstaining {@link Detection} (`score: null`) with one evidence entry saying why.
 *
 * @param detector - the detector's name
 * @param reason - a sentence saying which input was missing
 * @param startedMs - `nowMs()` when the work started
 */
export function abstained(detector: string, reason: string, startedMs: number): Detection {
  return {
    detector,
    score: null,
    label: null,
    evidence: [{ name: 'abstained', value: null, sentence: reason }],
    elapsedMs: nowMs() - startedMs,
  };
}

/**
 * What a detection's evidence will say, known before the evidence is written (see {@link withEvidenceOnRead}),
 * for readers that need one value and would otherwise make the whole evidence be written.
 *
 * @internal
 */
export interface EvidenceFacts {
  /**
   * The mean `similarity` of the entries of the `nearest_examples` evidence (those that are finite numbers), or
   * `null` when it has none; `undefined`: not stated.
   */
  nearestSimilarity?: number | null;
}

const NO_NEIGHBOURS: EvidenceFacts = Object.freeze({ nearestSimilarity: null });

/** Returns the object it is given, so that a subclass's constructor adds its private fields to that object. */
class Stamped {
  constructor(o: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the private-field stamp on a plain object (see DetectionStamp)
    return o;
  }
}

/**
 * The hidden state of a detection, kept in private fields stamped on the detection itself: its evidence when
 * that is written on first read ({@link withEvidenceOnRead}), and its named features for a learned combiner
 * (`withDetectionFeatures`). Invisible to JSON, spreads, `Object.keys` and equality checks, and, unlike a
 * `WeakMap` of detections, no table that the garbage collector must sweep (that, and an accessor pair per
 * object, made a short transcript's heuristic detection cost twice its scoring). One stamp for both: each
 * stamp adds its fields to the object, and a detection with lazy evidence and features took two.
 */
class DetectionStamp extends Stamped {
  #build: (() => Evidence[]) | undefined;
  #evidence: Evidence[] | undefined;
  #facts: EvidenceFacts | undefined;
  #names: readonly string[] | undefined;
  #values: ArrayLike<number> | undefined;

  private constructor(
    d: Detection,
    build: (() => Evidence[]) | undefined,
    facts: EvidenceFacts | undefined,
    names: readonly string[] | undefined,
    values: ArrayLike<number> | undefined,
  ) {
    super(d);
    this.#build = build;
    this.#evidence = undefined;
    this.#facts = facts;
    this.#names = names;
    this.#values = values;
  }

  /** Stamps `d` with the state (a detection is stamped once). */
  static stamp(
    d: Detection,
    build: (() => Evidence[]) | undefined,
    facts: EvidenceFacts | undefined,
    names: readonly string[] | undefined,
    values: ArrayLike<number> | undefined,
  ): void {
    new DetectionStamp(d, build, facts, names, values);
  }

  static read(d: object): Evidence[] {
    if (!(#build in d)) return [];
    const self = d as unknown as DetectionStamp;
    if (self.#build !== undefined) {
      self.#evidence = self.#build();
      self.#build = undefined;
    }
    return self.#evidence ?? [];
  }

  static write(d: object, v: Evidence[]): void {
    if (!(#build in d)) return;
    const self = d as unknown as DetectionStamp;
    self.#evidence = v;
    self.#build = undefined;
    self.#facts = undefined;
  }

  static factsOf(d: object): EvidenceFacts | undefined {
    return #facts in d ? (d as unknown as DetectionStamp).#facts : undefined;
  }

  /** Adds named features to `d`: to its stamp when it has one without features, else in a new stamp. */
  static addFeatures(d: Detection, names: readonly string[], values: ArrayLike<number>): void {
    if (!(#names in d)) {
      DetectionStamp.stamp(d, undefined, undefined, names, values);
      return;
    }
    const self = d as unknown as DetectionStamp;
    if (self.#names !== undefined) throw new TypeError('this detection already has features: stamp it once');
    self.#names = names;
    self.#values = values;
  }

  static featuresOf(d: object): { names: readonly string[]; values: ArrayLike<number> } | undefined {
    if (!(#names in d)) return undefined;
    const self = d as unknown as DetectionStamp;
    return self.#names === undefined ? undefined : { names: self.#names, values: self.#values! };
  }
}

/**
 * The {@link DetectionStamp} class every copy of botlens in the process uses (see `sharedAcrossCopies`): the
 * first copy's, so that its private names are the same in every copy, and a stacking ensemble from one copy reads
 * the features of a member's detection made by another. Only copies of the same release share it (the key holds
 * the package version), so no release runs another's code.
 */
const Stamp = sharedAcrossCopies('detection-stamp', () => DetectionStamp);

/** One accessor pair for every such detection (an own, enumerable property of each). */
const EVIDENCE_ON_READ: PropertyDescriptor = Object.freeze({
  get(this: object): Evidence[] {
    return Stamp.read(this);
  },
  set(this: object, v: Evidence[]) {
    Stamp.write(this, v);
  },
  enumerable: true,
  configurable: true,
});

/**
 * The {@link EvidenceFacts} stated for `d` when it was made by {@link withEvidenceOnRead} (and its evidence was
 * not replaced since), else `undefined`.
 *
 * @internal
 */
export function evidenceFacts(d: Detection): EvidenceFacts | undefined {
  return Stamp.factsOf(d);
}

/**
 * True when `d`'s `evidence` is written on its first read by botlens (a detection of {@link withEvidenceOnRead},
 * or a result of {@link withFieldsOnRead} with an `evidence` field): an array then, checked without writing it.
 *
 * @internal
 */
export function evidenceWrittenOnRead(d: object): boolean {
  if (Stamp.factsOf(d) !== undefined) return true;
  const get = Object.getOwnPropertyDescriptor(d, 'evidence')?.get;
  return get !== undefined && (get === EVIDENCE_ON_READ.get || get === fieldAccessors.get('evidence')?.get);
}

/**
 * `d` with its `evidence` written on first read: an own, enumerable accessor (assignable too), so JSON,
 * spreads and structured clones see it like any other property. For detectors that score after every pushed
 * message, where most callers read only the score and writing the sentences would cost more than the rest.
 *
 * @param d - the detection (its `evidence` is replaced)
 * @param build - writes the evidence, once, when it is first read
 * @param facts - what the evidence will say, for readers that need only that ({@link evidenceFacts}); a
 *   builder that writes a `nearest_examples` entry must state its `nearestSimilarity`
 *   @defaultValue `{ nearestSimilarity: null }` (the evidence lists no nearest examples)
 * @internal
 */
export function withEvidenceOnRead(
  d: Detection,
  build: () => Evidence[],
  facts: EvidenceFacts = NO_NEIGHBOURS,
): Detection {
  return lazyDetection(
    d.detector,
    d.score,
    d.label,
    d.elapsedMs,
    d.support,
    build,
    facts,
    undefined,
    undefined,
  );
}

/**
 * {@link scored}, then {@link withEvidenceOnRead} and `withDetectionFeatures`, building the detection once:
 * what a detector that scores often and offers features returns (the heuristic detector).
 *
 * @param detector - the detector's name
 * @param score - P(bot) in [0, 1]
 * @param threshold - score at or above which the label is `bot`
 * @param startedMs - `nowMs()` when the work started
 * @param support - the detection's `support`
 * @param build - writes the evidence, once, when it is first read (it lists no nearest examples)
 * @param names - the feature names (the same array on every call)
 * @param values - aligned with `names`
 * @internal
 */
export function scoredWithEvidenceOnRead(
  detector: string,
  score: number,
  threshold: number,
  startedMs: number,
  support: Detection['support'],
  build: () => Evidence[],
  names: readonly string[],
  values: ArrayLike<number>,
): Detection {
  const s = clampScore(score);
  return lazyDetection(
    detector,
    s,
    labelOf(s, threshold),
    nowMs() - startedMs,
    support,
    build,
    NO_NEIGHBOURS,
    names,
    values,
  );
}

/** A detection with the given fields, its evidence an accessor over its stamp (see {@link DetectionStamp}). */
function lazyDetection(
  detector: string,
  score: number | null,
  label: Label | null,
  elapsedMs: number,
  support: Detection['support'],
  build: () => Evidence[],
  facts: EvidenceFacts,
  names: readonly string[] | undefined,
  values: ArrayLike<number> | undefined,
): Detection {
  const out = { detector, score, label } as Detection;
  Object.defineProperty(out, 'evidence', EVIDENCE_ON_READ);
  out.elapsedMs = elapsedMs;
  if (support !== undefined) out.support = support;
  Stamp.stamp(out, build, facts, names, values);
  return out;
}

/**
 * Adds named features to a detection's hidden state (see `withDetectionFeatures`, which documents them).
 *
 * @internal
 */
export function stampFeatures(d: Detection, names: readonly string[], values: ArrayLike<number>): void {
  Stamp.addFeatures(d, names, values);
}

/**
 * The named features of a detection's hidden state (see `detectionFeatures`), or `undefined`.
 *
 * @internal
 */
export function stampedFeatures(
  d: object,
): { names: readonly string[]; values: ArrayLike<number> } | undefined {
  return Stamp.featuresOf(d);
}

/**
 * The state of an object whose fields `keys` are written together on first read (see {@link withFieldsOnRead}),
 * kept in private fields stamped on the object, as {@link DetectionStamp} does for one detection's evidence.
 */
class LazyFields extends Stamped {
  #write: (() => Record<string, unknown>) | undefined;
  #values: Record<string, unknown>;

  private constructor(o: object, write: () => Record<string, unknown>) {
    super(o);
    this.#write = write;
    this.#values = {};
  }

  static stamp(o: object, write: () => Record<string, unknown>): void {
    new LazyFields(o, write);
  }

  static read(o: object, key: string): unknown {
    if (!(#write in o)) return undefined;
    const self = o as unknown as LazyFields;
    const values = self.#values;
    if (!(key in values) && self.#write !== undefined) {
      const written = self.#write();
      self.#write = undefined;
      // a field assigned before the others were written keeps its assigned value
      for (const k of Object.keys(written)) if (!(k in values)) values[k] = written[k];
    }
    return values[key];
  }

  static write(o: object, key: string, v: unknown): void {
    if (#write in o) (o as unknown as LazyFields).#values[key] = v;
  }
}

/** One accessor pair per field name, shared by every object made by {@link withFieldsOnRead}. */
const fieldAccessors = new Map<string, PropertyDescriptor>();

function fieldAccessor(key: string): PropertyDescriptor {
  let d = fieldAccessors.get(key);
  if (d === undefined) {
    d = Object.freeze({
      get(this: object): unknown {
        return LazyFields.read(this, key);
      },
      set(this: object, v: unknown) {
        LazyFields.write(this, key, v);
      },
      enumerable: true,
      configurable: true,
    });
    fieldAccessors.set(key, d);
  }
  return d;
}

/**
 * Adds `keys` to `o` (after its own properties, in this order) as own, enumerable, assignable accessors that
 * call `write` once, when the first of them is read, and return its values: JSON, spreads and structured
 * clones see them like any other property. For results whose sentences cost more than the rest and that most
 * callers read only the score of. Shared accessors and private fields, not an object literal with `get`/`set`:
 * a literal makes a new accessor pair per object, which puts each in dictionary mode and made about a tenth of
 * what an ensemble detection allocates survive the young-generation collections.
 *
 * @param o - the object (changed in place, and returned)
 * @param keys - the fields `write` fills
 * @param write - returns every field of `keys`, once
 * @internal
 */
export function withFieldsOnRead<T extends object>(
  o: T,
  keys: readonly string[],
  write: () => Record<string, unknown>,
): T {
  for (const k of keys) Object.defineProperty(o, k, fieldAccessor(k));
  LazyFields.stamp(o, write);
  return o;
}
