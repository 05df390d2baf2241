import type { HierarchicalNSW } from 'hnswlib-node';
import { describeValue } from '../core/describe-value.js';
import { importOptional } from '../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../core/optional-needs.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { MissingDependencyError } from '../errors/missing-dependency-error.js';
import { checkDim } from './exact-search.js';
import type { Neighbor, VectorIndex, VectorSearchOptions } from './vector-index.js';
import { checkK, checkVector } from './vector-index.js';
import { type CompactVector, toDense } from './vector-math.js';

/**
 * HNSW defaults, chosen with `npx tsx bench/ann.ts` on 100k clustered 384-d vectors (the shape of sentence
 * embeddings), k = 10, on a 2-core machine: M = 16, efConstruction = 200 (build 57 s, +170 MB RSS) and
 * efSearch = 64 give 0.25 ms per query at recall@10 0.993 (efSearch 48: 0.23 ms, 0.983; 96: 0.29 ms, 0.998),
 * against 39 ms for exact search. Uniform random 384-d vectors have no neighbourhood structure and need
 * efSearch near 1600 for recall 0.99 (5 ms per query on 20k vectors). Raise `efSearch` for recall, lower it
 * for speed.
 */
export const HNSW_DEFAULTS = Object.freeze({
  /** Graph out-degree (hnswlib `M`): memory and build time grow with it. */
  m: 16,
  /** Candidate list size while building: higher builds a better graph, slower. */
  efConstruction: 200,
  /** Candidate list size while searching (at least `k` is used). */
  efSearch: 64,
  /** Seed of hnswlib's level generator: the same vectors in the same order give the same graph. */
  seed: 100,
});

/** Options for {@link HnswIndex.create}. */
export interface HnswIndexOptions {
  /** Vector length. */
  dim: number;
  /**
   * Graph out-degree (hnswlib `M`).
   * @defaultValue 16
   */
  m?: number;
  /**
   * Build-time candidate list size.
   * @defaultValue 200
   */
  efConstruction?: number;
  /**
   * Search-time candidate list size; `max(efSearch, k)` is used per query.
   * @defaultValue 64
   */
  efSearch?: number;
  /**
   * Seed of the level generator.
   * @defaultValue 100
   */
  seed?: number;
  /**
   * Vectors to reserve room for; the index grows (doubling) when more are added.
   * @defaultValue 1024
   */
  capacity?: number;
  /**
   * Subtracted from stored vectors and queries before the cosine is taken (as in {@link ExactSearch}).
   * @defaultValue no centering
   */
  center?: Float32Array;
}

type HnswModule = typeof import('hnswlib-node');

let hnswModule: Promise<HnswModule> | undefined;

/**
 * Imports hnswlib-node once, on first use (a native addon and an optional peer dependency: importing botlens
 * must not load it, and a user who never builds an HNSW index need not install it).
 */
async function loadHnsw(): Promise<HnswModule> {
  hnswModule ??= importOptional(
    'hnswlib-node',
    OPTIONAL_NEEDS.hnsw.feature,
    () => import('hnswlib-node'),
  ).then(
    (m) => {
      const mod = m as HnswModule & { default?: HnswModule };
      return typeof mod.HierarchicalNSW === 'function' ? mod : (mod.default as HnswModule);
    },
    (cause: unknown) => {
      hnswModule = undefined;
      if (MissingDependencyError.isInstance(cause)) throw cause;
      throw new BotlensError(
        'ANN_UNAVAILABLE',
        'hnswlib-node is installed but could not be loaded (its native addon is built on install and needs a C++ toolchain): rebuild it (npm rebuild hnswlib-node) or use exact search (useAnn: false).',
        { cause },
      );
    },
  );
  return hnswModule;
}

/**
 * True when an HNSW index can be created here: `hnswlib-node` (an optional peer dependency with a native addon)
 * is installed and loads. Lets a caller choose exact search instead of failing.
 *
 * @example
 * ```ts
 * const index = (await hnswAvailable()) ? await HnswIndex.create({ dim }) : new ExactSearch({ dim });
 * ```
 */
export async function hnswAvailable(): Promise<boolean> {
  try {
    await loadHnsw();
    return true;
  } catch {
    return false;
  }
}

function positiveInt(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1)
    throw new InvalidOptionsError(name, `expected a positive integer, got ${describeValue(v)}`);
  return v;
}

/**
 * Approximate cosine nearest-neighbour search with an HNSW graph (hnswlib, through `hnswlib-node`, loaded
 * lazily). Sub-millisecond queries on 100k vectors where exact search takes tens of milliseconds; results can
 * miss a true neighbour now and then (see `HNSW_DEFAULTS` for measured recall). Deterministic: the same
 * vectors added in the same order give the same graph and the same answers.
 *
 * @example
 * ```ts
 * const index = await HnswIndex.create({ dim: 384 });
 * index.add(vectors);
 * const hits = index.search(query, 10); // [{ id, similarity }, ...], most similar first
 * index.dispose();
 * ```
 */
export class HnswIndex implements VectorIndex {
  /** Vector length. */
  readonly dim: number;
  /** Always `hnsw`. */
  readonly method = 'hnsw' as const;
  private ef: number;
  private index: HierarchicalNSW | undefined;
  private readonly center: Float32Array | undefined;
  private count = 0;
  private capacity: number;
  private currentEf = -1;

  private constructor(
    index: HierarchicalNSW,
    dim: number,
    capacity: number,
    efSearch: number,
    center?: Float32Array,
  ) {
    this.index = index;
    this.dim = dim;
    this.capacity = capacity;
    this.ef = efSearch;
    this.center = center;
  }

  /**
   * Creates an empty index (imports hnswlib-node on first use).
   *
   * @param options - see {@link HnswIndexOptions}
   * @throws InvalidOptionsError for a bad setting
   * @throws MissingDependencyError when hnswlib-node (an optional peer dependency) is not installed
   * @throws BotlensError `ANN_UNAVAILABLE` when it is installed but its native addon cannot be loaded
   */
  static async create(options: HnswIndexOptions): Promise<HnswIndex> {
    checkDim(options.dim);
    const m = positiveInt('m', options.m, HNSW_DEFAULTS.m);
    const efConstruction = positiveInt(
      'efConstruction',
      options.efConstruction,
      HNSW_DEFAULTS.efConstruction,
    );
    const efSearch = positiveInt('efSearch', options.efSearch, HNSW_DEFAULTS.efSearch);
    const capacity = positiveInt('capacity', options.capacity, 1024);
    const seed = options.seed ?? HNSW_DEFAULTS.seed;
    if (!Number.isInteger(seed) || seed < 0)
      throw new InvalidOptionsError('seed', `expected an integer >= 0, got ${describeValue(seed)}`);
    if (options.center) checkVector('center', options.center, options.dim);
    const { HierarchicalNSW } = await loadHnsw();
    const index = new HierarchicalNSW('cosine', options.dim);
    index.initIndex({ maxElements: capacity, m, efConstruction, randomSeed: seed });
    return new HnswIndex(
      index,
      options.dim,
      capacity,
      efSearch,
      options.center ? Float32Array.from(options.center) : undefined,
    );
  }

  /** Number of vectors stored. */
  get size(): number {
    return this.count;
  }

  /** Search-time candidate list size (`max(efSearch, k)` is used per query); may be changed between searches. */
  get efSearch(): number {
    return this.ef;
  }

  /** Sets the search-time candidate list size (a positive integer) for later searches. */
  set efSearch(value: number) {
    this.ef = positiveInt('efSearch', value, this.ef);
  }

  private live(): HierarchicalNSW {
    if (!this.index) throw new BotlensError('DISPOSED', 'This HnswIndex was disposed: create a new one.');
    return this.index;
  }

  private toArray(v: Float32Array): number[] {
    const out = new Array<number>(v.length);
    const c = this.center;
    if (c) for (let i = 0; i < v.length; i++) out[i] = v[i]! - c[i]!;
    else for (let i = 0; i < v.length; i++) out[i] = v[i]!;
    return out;
  }

  /**
   * Adds vectors; ids follow insertion order. hnswlib normalizes them (cosine space) and stores them dense.
   *
   * @param vectors - vectors of length {@link HnswIndex.dim}, dense or sparse
   * @throws BotlensError `DIMENSION_MISMATCH` for a vector of another length
   * @throws InvalidOptionsError for a vector with NaN or infinite entries
   */
  add(vectors: readonly CompactVector[]): void {
    const index = this.live();
    const dense = vectors.map((v, i) => {
      checkVector(`vector ${i}`, v, this.dim);
      const d = v instanceof Float32Array ? v : toDense(v, this.dim);
      return d;
    });
    if (this.count + dense.length > this.capacity) {
      while (this.count + dense.length > this.capacity) this.capacity *= 2;
      index.resizeIndex(this.capacity);
    }
    for (const v of dense) index.addPoint(this.toArray(v), this.count++);
  }

  /**
   * The `k` (approximately) most similar stored vectors; see {@link VectorIndex.search}.
   *
   * @param query - a vector of length {@link HnswIndex.dim}
   * @param k - how many neighbours (more than stored returns all)
   * @param options - `exclude` to leave ids out (applied inside the graph search, so up to `k` are still found)
   */
  search(query: Float32Array, k: number, options: VectorSearchOptions = {}): Neighbor[] {
    const index = this.live();
    checkK(k);
    checkVector('query', query, this.dim);
    const kk = Math.min(k, this.count);
    if (kk === 0) return [];
    const ef = Math.max(this.ef, kk);
    if (ef !== this.currentEf) {
      index.setEf(ef);
      this.currentEf = ef;
    }
    const { exclude } = options;
    const res = exclude
      ? index.searchKnn(this.toArray(query), kk, (id: number) => !exclude(id))
      : index.searchKnn(this.toArray(query), kk);
    const out: Neighbor[] = res.neighbors.map((id, i) => ({ id, similarity: 1 - res.distances[i]! }));
    return out.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  }

  /** Drops the native index; later calls throw. */
  dispose(): void {
    this.index = undefined;
  }
}
