import type { SparseVector } from '../ann/vector-math.js';
import { describeValue } from '../core/describe-value.js';
import type { DetectOptions } from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { sharedAcrossCopies } from '../core/shared-across-copies.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { Embedder } from './embedder.js';
import { type BucketChange, HashingAccumulator, type Resolved } from './hashing-accumulator.js';

/** Every key of {@link HashingEmbedderOptions}: `new HashingEmbedder()` refuses any other. */
const HASHING_EMBEDDER_OPTION_KEYS: OptionKeys<HashingEmbedderOptions> = {
  dim: true,
  wordNgramMax: true,
  charNgramMin: true,
  charNgramMax: true,
  lowercase: true,
  wordWeight: true,
  charWeight: true,
};

/** Options for {@link HashingEmbedder}. Every field is encoded in the embedder's `id`. */
export interface HashingEmbedderOptions {
  /**
   * Number of hash buckets, i.e. the vector length. A power of two between 16 and 1,048,576. Larger means
   * fewer collisions; a chat speaker's text fills only a few hundred buckets, so vectors are mostly zeros and
   * botlens stores and compares them sparse: the size costs little. 16384 (rather than 4096) because the
   * embedding detector's linear probe measurably gained from fewer collisions in cross-validation on the
   * ConvAI train split (F1 0.939 to 0.950), while larger sizes gained nothing more.
   * @defaultValue 16384
   */
  dim?: number;
  /**
   * Longest word n-gram: 1 = unigrams only, 2 = unigrams and bigrams (bigrams never span a line break, so
   * messages joined with `\n` do not run into each other), 0 = no word features.
   * @defaultValue 2
   */
  wordNgramMax?: number;
  /**
   * Shortest character n-gram. Character n-grams are taken inside each whitespace-delimited token padded with
   * `<` and `>` (fastText style), so they see spelling, casing, emoji and punctuation glued to words
   * (`fine.` and `fine .` differ). 2 rather than 3: the 2-grams (`<.`, `?>`, `<i`) carry the punctuation
   * and casing habits of chat bots, and 2-5 beat 3-5 in cross-validation on ConvAI train.
   * @defaultValue 2
   */
  charNgramMin?: number;
  /**
   * Longest character n-gram; 0 = no character features.
   * @defaultValue 5
   */
  charNgramMax?: number;
  /**
   * Lowercase the text first. Off by default because casing ("i" vs "I", "Hello !") is a strong bot signal
   * in chat; word features are then case-sensitive too.
   * @defaultValue false
   */
  lowercase?: boolean;
  /**
   * Weight of the word n-gram block relative to the character n-gram block. Each block is L2-normalized on
   * its own before weighting, so long texts with many character n-grams do not drown the word features.
   * @defaultValue 1
   */
  wordWeight?: number;
  /**
   * Weight of the character n-gram block; see {@link HashingEmbedderOptions.wordWeight}.
   * @defaultValue 1
   */
  charWeight?: number;
}

const DEFAULTS: Readonly<Resolved> = Object.freeze({
  dim: 16384,
  wordNgramMax: 2,
  charNgramMin: 2,
  charNgramMax: 5,
  lowercase: false,
  wordWeight: 1,
  charWeight: 1,
});

/**
 * Every {@link HashingEmbedder} made, by any copy of this release of botlens in the process (see
 * `sharedAcrossCopies`): a detector from one copy gives an embedder from another the same sparse paths and
 * options as its own.
 */
const hashingEmbedders = sharedAcrossCopies('hashing-embedders', () => new WeakSet<object>());

/**
 * Whether `embedder` is a {@link HashingEmbedder} (or a subclass), made by this copy of botlens or by another
 * copy of this release loaded in the same process (`instanceof` sees only this copy's, but also sees through a
 * `Proxy` around one, which the registry of embedders made does not).
 *
 * @param embedder - an embedder
 * @internal
 */
export function isHashingEmbedder(embedder: unknown): embedder is HashingEmbedder {
  return (
    embedder instanceof HashingEmbedder ||
    (typeof embedder === 'object' && embedder !== null && hashingEmbedders.has(embedder))
  );
}

/**
 * A model-free {@link Embedder}: feature hashing of word unigrams and bigrams plus character n-grams (2 to 5
 * characters, inside word boundaries), signed, with sublinear term frequency, L2-normalized. Deterministic
 * (same text, same vector, on every machine), offline, and fast (tens of microseconds per message). Use it in
 * tests, on machines without models, or as a strong lexical baseline for the embedding detector.
 *
 * An empty (or all-whitespace) text embeds to the zero vector; every other text to a unit vector.
 *
 * @example
 * ```ts
 * const emb = new HashingEmbedder();
 * const [a, b] = await emb.embed(['Hello ! I am fine .', 'hey, all good here']);
 * a.length; // 16384
 * emb.id; // 'hashing-v1:dim=16384,word=1-2,char=2-5,lower=0,ww=1,cw=1'
 * ```
 */
export class HashingEmbedder implements Embedder {
  /** Encodes the algorithm version and every setting; two embedders with equal ids give equal vectors. */
  readonly id: string;
  /** Vector length (number of buckets). */
  readonly dim: number;
  private readonly o: Resolved;
  private scratchAcc: HashingAccumulator | undefined;

  /**
   * @param options - see {@link HashingEmbedderOptions}
   * @throws InvalidOptionsError when a setting is out of range
   */
  constructor(options: HashingEmbedderOptions = {}) {
    refuseUnknownKeys(options, HASHING_EMBEDDER_OPTION_KEYS, 'the options of new HashingEmbedder()');
    const o: Resolved = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options))
      if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
    validate(o);
    this.o = o;
    this.dim = o.dim;
    this.id =
      `hashing-v1:dim=${o.dim},word=1-${o.wordNgramMax},char=${o.charNgramMax === 0 ? '0' : `${o.charNgramMin}-${o.charNgramMax}`},` +
      `lower=${o.lowercase ? 1 : 0},ww=${o.wordWeight},cw=${o.charWeight}`;
    hashingEmbedders.add(this);
  }

  /**
   * Rebuilds the embedder an `id` describes (as saved in fitted state), or returns `undefined` when the id is
   * not a hashing embedder's.
   *
   * @param id - an id produced by {@link HashingEmbedder.id}
   * @throws InvalidOptionsError when the id looks like a hashing id but cannot be parsed
   *
   * @example
   * ```ts
   * const again = HashingEmbedder.fromId(new HashingEmbedder({ dim: 1024 }).id);
   * again?.dim; // 1024
   * ```
   */
  static fromId(id: string): HashingEmbedder | undefined {
    if (!id.startsWith('hashing-v1:')) return undefined;
    const m =
      /^hashing-v1:dim=(\d+),word=1-(\d+),char=(?:0|(\d+)-(\d+)),lower=([01]),ww=([\d.e+-]+),cw=([\d.e+-]+)$/.exec(
        id,
      );
    if (!m) throw new InvalidOptionsError('embedderId', `"${id}" is not a valid hashing embedder id`);
    const e = new HashingEmbedder({
      dim: Number(m[1]),
      wordNgramMax: Number(m[2]),
      charNgramMin: m[3] === undefined ? DEFAULTS.charNgramMin : Number(m[3]),
      charNgramMax: m[4] === undefined ? 0 : Number(m[4]),
      lowercase: m[5] === '1',
      wordWeight: Number(m[6]),
      charWeight: Number(m[7]),
    });
    if (e.id !== id)
      throw new InvalidOptionsError('embedderId', `"${id}" is not a canonical hashing embedder id`);
    return e;
  }

  /**
   * Embeds texts; see the class description.
   *
   * @param texts - the texts, any length (empty gives the zero vector)
   * @param opts - `signal` to cancel long batches
   * @returns one `Float32Array` of length {@link HashingEmbedder.dim} per text
   */
  async embed(texts: string[], opts: DetectOptions = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw new InvalidOptionsError('texts', 'expected an array of strings');
    const out: Float32Array[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      if ((i & 255) === 0) AbortedError.throwIfAborted(opts.signal, 'HashingEmbedder.embed');
      const t = texts[i];
      if (typeof t !== 'string')
        throw new InvalidOptionsError('texts', `texts[${i}] is ${typeof t}, expected a string`);
      out[i] = this.embedOne(t);
    }
    return out;
  }

  /**
   * Embeds one text synchronously (the same vector {@link HashingEmbedder.embed} gives).
   *
   * @param text - the text
   */
  embedOne(text: string): Float32Array {
    return this.hashed(text, (acc) => acc.vector());
  }

  /**
   * Embeds one text as a sparse vector (positions ascending): the non-zeros of {@link HashingEmbedder.embedOne},
   * without allocating the dense vector.
   *
   * @param text - the text
   * @internal
   */
  embedSparse(text: string): SparseVector {
    return this.hashed(text, (acc) => acc.sparse());
  }

  /**
   * Hashes one text and reports every non-zero bucket of its two blocks (unnormalized), as
   * {@link HashingAccumulator.add} reports changes starting from nothing (`before` = 0): what the embedding
   * detector's exact scorer needs to compute every dot product with the embedding in double precision.
   *
   * @param text - the text
   * @param onChange - told of each non-zero bucket of each block
   * @internal
   */
  scan(text: string, onChange: BucketChange): void {
    this.hashed(text, () => undefined, onChange);
  }

  /**
   * The weights of the word and character blocks (`wordWeight`, `charWeight`): the embedding is
   * `(ww·W/|W| + cw·C/|C|)` normalized, W and C being the blocks' unnormalized bucket sums (an empty block or
   * a zero weight drops out).
   *
   * @internal
   */
  get blockWeights(): readonly [number, number] {
    return [this.o.wordWeight, this.o.charWeight];
  }

  /**
   * A running embedding of a text that grows by appended parts: after `add(a)` and `add(b)` the vector equals
   * `embedOne(a + '\n' + b)` bit for bit (n-grams never span a line break). Each `add` costs the part's
   * n-grams; reading the vector costs its non-zeros (at most `dim`), whatever the text's length so far. The
   * streaming embedding detector keeps one per stream.
   *
   * @param incremental - keep each bucket's sum by its counts' changes instead of summing its n-grams again
   *   (cost independent of the vocabulary so far; the vector then equals `embedOne` up to rounding only)
   * @internal
   */
  accumulator(incremental = false): HashingAccumulator {
    return new HashingAccumulator(this.o, incremental);
  }

  /** Hashes `text` into the reused scratch accumulator, reads the result with `read`, and clears it again. */
  private hashed<T>(text: string, read: (acc: HashingAccumulator) => T, onChange?: BucketChange): T {
    this.scratchAcc ??= new HashingAccumulator(this.o);
    const acc = this.scratchAcc;
    try {
      acc.add(text, onChange);
      return read(acc);
    } finally {
      acc.reset();
    }
  }
}

function validate(o: Resolved): void {
  if (!Number.isInteger(o.dim) || o.dim < 16 || o.dim > 1 << 20 || (o.dim & (o.dim - 1)) !== 0) {
    throw new InvalidOptionsError(
      'dim',
      `expected a power of two between 16 and 1048576, got ${describeValue(o.dim)}`,
    );
  }
  if (!Number.isInteger(o.wordNgramMax) || o.wordNgramMax < 0 || o.wordNgramMax > 2) {
    throw new InvalidOptionsError('wordNgramMax', `expected 0, 1 or 2, got ${describeValue(o.wordNgramMax)}`);
  }
  if (!Number.isInteger(o.charNgramMax) || o.charNgramMax < 0 || o.charNgramMax > 8) {
    throw new InvalidOptionsError(
      'charNgramMax',
      `expected an integer from 0 (off) to 8, got ${describeValue(o.charNgramMax)}`,
    );
  }
  if (
    o.charNgramMax > 0 &&
    (!Number.isInteger(o.charNgramMin) || o.charNgramMin < 1 || o.charNgramMin > o.charNgramMax)
  ) {
    throw new InvalidOptionsError(
      'charNgramMin',
      `expected an integer from 1 to charNgramMax (${o.charNgramMax}), got ${describeValue(o.charNgramMin)}`,
    );
  }
  if (typeof o.lowercase !== 'boolean')
    throw new InvalidOptionsError('lowercase', `expected a boolean, got ${describeValue(o.lowercase)}`);
  for (const k of ['wordWeight', 'charWeight'] as const) {
    if (!Number.isFinite(o[k]) || o[k] < 0)
      throw new InvalidOptionsError(k, `expected a finite number >= 0, got ${describeValue(o[k])}`);
  }
  if ((o.wordNgramMax === 0 || o.wordWeight === 0) && (o.charNgramMax === 0 || o.charWeight === 0)) {
    throw new InvalidOptionsError(
      'wordNgramMax',
      'word and character features are both off: enable at least one',
    );
  }
}
