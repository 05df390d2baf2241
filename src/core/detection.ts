import type { Detection, Evidence } from './detector.js';
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
  const s = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0.5;
  const label: Label = s >= threshold ? 'bot' : 'human';
  return { detector, score: s, label, evidence, elapsedMs: nowMs() - startedMs };
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

/**
 * Returns the object it is given, so that a subclass's constructor adds its private fields to that object.
 *
 * @internal
 */
export class Stamped {
  constructor(o: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the private-field stamp on a plain object (see LazyEvidence)
    return o;
  }
}

/**
 * The state of a detection whose evidence is written on first read, kept in private fields stamped on the
 * detection itself: invisible to JSON, spreads, `Object.keys` and equality checks, and, unlike a `WeakMap` of
 * detections, no table that the garbage collector must sweep (that, and an accessor pair per object, made a
 * short transcript's heuristic detection cost twice its scoring).
 */
class LazyEvidence extends Stamped {
  #build: (() => Evidence[]) | undefined;
  #evidence: Evidence[] | undefined;
  #facts: EvidenceFacts | undefined;

  private constructor(d: Detection, build: () => Evidence[], facts: EvidenceFacts) {
    super(d);
    this.#build = build;
    this.#evidence = undefined;
    this.#facts = facts;
  }

  /** Stamps `d` with the state. */
  static stamp(d: Detection, build: () => Evidence[], facts: EvidenceFacts): void {
    new LazyEvidence(d, build, facts);
  }

  static read(d: object): Evidence[] {
    if (!(#build in d)) return [];
    const self = d as unknown as LazyEvidence;
    if (self.#build !== undefined) {
      self.#evidence = self.#build();
      self.#build = undefined;
    }
    return self.#evidence!;
  }

  static write(d: object, v: Evidence[]): void {
    if (!(#build in d)) return;
    const self = d as unknown as LazyEvidence;
    self.#evidence = v;
    self.#build = undefined;
    self.#facts = undefined;
  }

  static factsOf(d: object): EvidenceFacts | undefined {
    return #facts in d ? (d as unknown as LazyEvidence).#facts : undefined;
  }
}

/** One accessor pair for every such detection (an own, enumerable property of each). */
const EVIDENCE_ON_READ: PropertyDescriptor = Object.freeze({
  get(this: object): Evidence[] {
    return LazyEvidence.read(this);
  },
  set(this: object, v: Evidence[]) {
    LazyEvidence.write(this, v);
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
  return LazyEvidence.factsOf(d);
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
  const out = { detector: d.detector, score: d.score, label: d.label } as Detection;
  Object.defineProperty(out, 'evidence', EVIDENCE_ON_READ);
  out.elapsedMs = d.elapsedMs;
  if (d.support !== undefined) out.support = d.support;
  LazyEvidence.stamp(out, build, facts);
  return out;
}

/**
 * The state of an object whose fields `keys` are written together on first read (see {@link withFieldsOnRead}),
 * kept in private fields stamped on the object, as {@link LazyEvidence} does for one detection's evidence.
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
