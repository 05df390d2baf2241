import type { VectorIndex } from '../../ann/vector-index.js';
import { assertDims } from '../../ann/vector-math.js';
import { abstained, nowMs } from '../../core/detection.js';
import type {
  Detection,
  DetectionStream,
  DetectOptions,
  Detector,
  DetectorState,
  StreamOptions,
} from '../../core/detector.js';
import { beginDetect, beginFit } from '../../core/detector-kit.js';
import {
  methodOptionsOf,
  refuseUnknownDetectOptions,
  refuseUnknownStreamOptions,
} from '../../core/method-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import { isFoldFit } from '../../core/training-marks.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { validateAll } from '../../core/validate-examples.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import { isHashingEmbedder } from '../../runtime/hashing-embedder.js';
import type { TransformersEmbedderOptions } from '../../runtime/transformers-embedder.js';
import { embeddingDim, embedForFit, embedInBatches } from './embed-texts.js';
import { EmbedderSlot } from './embedder-slot.js';
import { embeddingDetection, NO_TEXT, supportOf } from './evidence.js';
import { denseOf, FitCache } from './fit-cache.js';
import { assignFolds, fitEmbeddingModel } from './fit-math.js';
import { HashedQuery } from './hashed-query.js';
import { InvertedExactSearch } from './inverted-search.js';
import { stopPositions } from './knn-space.js';
import { buildIndex, embeddingFeatures, type Features, type FittedModel, targetText } from './model.js';
import { type EmbeddingCentroidOptions, type Resolved, resolveOptions } from './options.js';
import { detectPrefixes } from './prefix-scores.js';
import { encodeState, readState } from './state.js';
import { embeddingStream } from './stream.js';
import { trainingTexts } from './training-texts.js';

/** Every key of {@link EmbeddingCentroidOptions}: `new EmbeddingCentroidDetector()` refuses any other. */
const EMBEDDING_CENTROID_DETECTOR_OPTION_KEYS: OptionKeys<EmbeddingCentroidOptions> = {
  name: true,
  threshold: true,
  embedder: true,
  embedderOptions: true,
  k: true,
  useAnn: true,
  annMinExamples: true,
  hnsw: true,
  probe: true,
  probeL2: true,
  probeMaxIter: true,
  probeMaxExamples: true,
  rareBuckets: true,
  knnStopShare: true,
  folds: true,
  batchSize: true,
};

/**
 * Judges the target's text by where its embedding falls among labelled examples: cosine similarity to the bot
 * and human centroids, a similarity-weighted vote of the `k` nearest labelled examples (exact search, or an
 * HNSW index for large sets), and a linear probe on the embedding, combined by a logistic regression fitted on
 * out-of-fold values (so the calibration never sees a neighbour vote that includes the example itself).
 *
 * The embedded text is the target speaker's non-empty messages joined with newlines; a target with no text
 * gets an abstention. Embeddings are centered on the training mean and re-normalized before every cosine,
 * which removes the direction all texts share: it otherwise dominates cosine similarity (on hashed ConvAI
 * vectors, centering raised the kNN vote's cross-validated AUROC from 0.94 to 0.97; transformer sentence
 * embeddings share such a common direction too). Needs `fit()` (or state from `fromJSON()`) before `detect()`.
 *
 * With the model-free `HashingEmbedder` it needs no model download and fits the ConvAI train split (1,154
 * speakers) in about a second; fitted on train, its dev accuracy is the "embedding centroid (HashingEmbedder)" row
 * of docs/benchmarks.md (section "eval-convai"), its fit time the section "fit".
 *
 * @example
 * ```ts
 * const detector = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
 * await detector.fit(await readTranscriptsJsonl('train.jsonl'));
 * const d = await detector.detect(transcript);
 * console.log(d.score, d.evidence.map((e) => e.sentence));
 * const restored = EmbeddingCentroidDetector.fromJSON(detector.toJSON()); // same scores
 * ```
 */
export class EmbeddingCentroidDetector implements Detector {
  /** The detector's name in results. */
  readonly name: string;
  /** Score at or above which the label is `bot`. */
  readonly threshold: number;
  private readonly o: Resolved;
  private readonly embedder: EmbedderSlot;
  private model: FittedModel | undefined;
  private indexPending: Promise<VectorIndex> | undefined;
  private readonly cache = new FitCache();
  /**
   * The probe of this detector's last `fit()` and its embedder's id, where an out-of-fold refit's probe solver
   * starts. Only `fit()` sets it (not `fromJSON()`), `dispose()` clears it: a restored or disposed detector's
   * next fit starts cold, as a fresh detector's does.
   */
  private lastFitProbe: { embedderId: string; probe: FittedModel['probe'] } | undefined;

  /**
   * @param options - see {@link EmbeddingCentroidOptions}
   * @throws InvalidOptionsError for a bad option, or a `knnStopShare` below 1 without a `HashingEmbedder`
   */
  constructor(options: EmbeddingCentroidOptions = {}) {
    refuseUnknownKeys(
      options,
      EMBEDDING_CENTROID_DETECTOR_OPTION_KEYS,
      'the options of new EmbeddingCentroidDetector()',
    );
    this.o = resolveOptions(options);
    this.name = this.o.name;
    this.threshold = this.o.threshold;
    this.embedder = new EmbedderSlot(options.embedder, options.embedderOptions);
    if (this.o.knnStopShare < 1 && !isHashingEmbedder(options.embedder)) {
      throw new InvalidOptionsError(
        'knnStopShare',
        `applies to a HashingEmbedder only (${options.embedder === undefined ? 'the default transformer embedder' : `embedder "${options.embedder.id}"`} gives dense vectors, which use every position): pass embedder: new HashingEmbedder(), or leave knnStopShare out`,
      );
    }
  }

  /** True once `fit()` has run or fitted state was loaded. */
  get fitted(): boolean {
    return this.model !== undefined;
  }

  /**
   * How the kNN vote searches: `exact` or `hnsw` (decided by `useAnn` and the size of the fitted set);
   * `null` before fitting.
   */
  get searchMethod(): 'exact' | 'hnsw' | null {
    return this.model ? this.chooseMethod(this.model) : null;
  }

  private chooseMethod(m: FittedModel): 'exact' | 'hnsw' {
    if (this.o.useAnn !== 'auto') return this.o.useAnn ? 'hnsw' : 'exact';
    if (m.vectors.length < this.o.annMinExamples) return 'exact';
    let dense = 0;
    for (const v of m.vectors) if (v instanceof Float32Array) dense++;
    return dense * 2 >= m.vectors.length ? 'hnsw' : 'exact';
  }

  private async embedAll(
    texts: string[],
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Float32Array[]> {
    return embedInBatches(await this.embedder.get(), texts, this.o.batchSize, signal, what);
  }

  private index(m: FittedModel): Promise<VectorIndex> {
    this.indexPending ??= buildIndex(m, this.chooseMethod(m), this.o.hnsw, this.o.useAnn === 'auto').catch(
      (err: unknown) => {
        this.indexPending = undefined;
        throw err;
      },
    );
    return this.indexPending;
  }

  /**
   * Judges the target speaker; see the class description.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError for a malformed transcript
   * @throws NotFittedError before `fit()` or `fromJSON()`
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const { started, v } = beginDetect(this.name, t, opts);
    const [d] = await this.run([v], opts, started);
    return d!;
  }

  /**
   * Judges many transcripts, embedding their texts in batches.
   *
   * @param ts - the transcripts
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError for a malformed transcript (named by index)
   * @throws NotFittedError before `fit()` or `fromJSON()`
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    const started = nowMs();
    refuseUnknownDetectOptions(opts, 'detectBatch', this.name);
    AbortedError.throwIfAborted(opts.signal, `${this.name} detectBatch`);
    return this.run(validateAll(ts, 'transcripts'), opts, started);
  }

  private async run(valids: ValidTranscript[], opts: DetectOptions, started: number): Promise<Detection[]> {
    const what = `${this.name} detect`;
    const m = this.requireModel();
    const texts = valids.map(targetText);
    const todo = texts.map((t, i) => (t === '' ? -1 : i)).filter((i) => i >= 0);
    const embedder = await this.embedder.checked(m);
    const index = await this.index(m);
    const out: Detection[] = valids.map(() => abstained(this.name, NO_TEXT, started));
    const exact = this.hashedQuery(m, embedder, index);
    if (exact) {
      // Hashed text against an exact index: scored from the hashed blocks in double precision, the same
      // computation the stream keeps up to date message by message (so the two agree).
      todo.forEach((i, j) => {
        if ((j & 63) === 0) AbortedError.throwIfAborted(opts.signal, what);
        const q = exact();
        q.scan(texts[i]!);
        out[i] = this.verdict(m, q.features(), started);
      });
    } else await this.scoreEmbedded(m, embedder, index, texts, todo, out, opts.signal, started);
    const elapsed = nowMs() - started;
    valids.forEach((v, i) => {
      const d = out[i]!;
      d.elapsedMs = elapsed / out.length;
      d.support = supportOf(v);
    });
    return out;
  }

  /** Embeds the texts at `todo` (reading the fit's cache first) and judges their dense embeddings. */
  private async scoreEmbedded(
    m: FittedModel,
    embedder: Embedder,
    index: VectorIndex,
    texts: string[],
    todo: number[],
    out: Detection[],
    signal: AbortSignal | undefined,
    started: number,
  ): Promise<void> {
    const what = `${this.name} detect`;
    // Texts the last fit embedded are read from its cache (unrounded, so scores do not depend on the cache).
    const vectors: (Float32Array | undefined)[] = todo.map((i) => {
      const hit = this.cache.peek(embedder.id, texts[i]!);
      return hit ? denseOf(hit.raw, m.dim) : undefined;
    });
    const fresh = todo.filter((_, j) => vectors[j] === undefined);
    const embedded = await this.embedAll(
      fresh.map((i) => texts[i]!),
      signal,
      what,
    );
    let at = 0;
    for (let j = 0; j < vectors.length; j++) if (vectors[j] === undefined) vectors[j] = embedded[at++];
    AbortedError.throwIfAborted(signal, what);
    todo.forEach((i, j) => {
      const e = vectors[j]!;
      assertDims(`embedding of transcript ${i}`, e.length, m.dim);
      out[i] = this.judge(m, index, e, started);
    });
  }

  /**
   * With a `HashingEmbedder` and an exact inverted index, a maker of empty {@link HashedQuery}s (the exact
   * scorer `detect()` and the stream share); otherwise undefined (the dense embedding is compared instead).
   *
   * @internal
   */
  hashedQuery(
    m: FittedModel,
    embedder: Embedder,
    index: VectorIndex,
  ): ((deferHot?: boolean) => HashedQuery) | undefined {
    if (!isHashingEmbedder(embedder) || !(index instanceof InvertedExactSearch)) return undefined;
    return (deferHot = false) => new HashedQuery(m, index, embedder, this.o.k, deferHot);
  }

  /** The detection of one embedding (an abstention when it equals the training mean). @internal */
  judge(m: FittedModel, index: VectorIndex, e: Float32Array, started: number): Detection {
    return this.verdict(m, embeddingFeatures(m, index, e, this.o.k), started);
  }

  /** The detection for some features, or the abstention when there are none (the text embeds to the center). @internal */
  verdict(m: FittedModel, f: Features | null, started: number): Detection {
    if (f === null) {
      return abstained(
        this.name,
        'The target text embeds to the zero vector: there is nothing to compare.',
        started,
      );
    }
    return embeddingDetection(this.name, this.threshold, m, f, started);
  }

  /** The fitted model, or NotFittedError. @internal */
  requireModel(): FittedModel {
    const m = this.model;
    if (!m) {
      throw new NotFittedError(
        this.name,
        'call fit(labelledTranscripts) first, or load fitted state with EmbeddingCentroidDetector.fromJSON(state)',
      );
    }
    return m;
  }

  /**
   * Learns centroids, the labelled set for the kNN vote, the linear probe and the calibration. Replaces any
   * earlier fit. Examples whose target sent no text are skipped.
   *
   * Calibration is fitted on out-of-fold features: for each training example the centroids leave out its own
   * conversation, the kNN vote excludes its own conversation (so never the example itself), and the probe
   * comes from a model fitted on the other folds.
   *
   * Embeddings and their pairwise dot products are kept until the next fit or `dispose()` (up to 2,048
   * distinct texts), so refitting on overlapping examples, as an ensemble's out-of-fold fitting does, only
   * pays for the new ones.
   *
   * @param examples - labelled transcripts; at least 2 bots and 2 humans with text, from at least 2 conversations
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError for a malformed example (named by index)
   * @throws InvalidOptionsError when there are too few usable examples
   *
   * @example
   * ```ts
   * await detector.fit(await readTranscriptsJsonl('train.jsonl'));
   * ```
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    const what = `${this.name} fit`;
    const { signal } = opts;
    const valids = beginFit(this.name, examples, opts);
    const { texts, labels, keys, bots, humans, skippedEmpty, neighbours } = trainingTexts(valids, examples);
    const embedder = await this.embedder.get();
    const { entries, slots } = await this.cache.lookup(embedder.id, texts, (ts) =>
      embedForFit(embedder, ts, (chunk) => this.embedAll(chunk, signal, what), signal, what),
    );
    const vectors = entries.map((e) => e.rounded);
    const dim = embeddingDim(embedder, entries[0]!);
    const n = vectors.length;

    const { group, fold, folds } = assignFolds(keys, this.o.folds);
    AbortedError.throwIfAborted(signal, what);
    const training = { examples: n, bots, humans, skippedEmpty, probeExamples: 0, folds };
    // Prefix cuts (texts after `neighbours`) shape centroids, probe and calibration, not the kNN vote's set.
    const labelled = vectors.slice(0, neighbours);
    const base = {
      embedderId: embedder.id,
      dim,
      vectors: labelled,
      labels: labels.slice(0, neighbours),
      knnStop: stopPositions(labelled, dim, this.o.knnStopShare),
    };
    // The Gram matrix serves the out-of-fold kNN vote over whole vectors; a vote without stop positions searches
    // an index instead (its few other reads are dotted directly).
    const gram = slots && base.knnStop.length === 0 ? this.cache.gramFor(slots, dim, neighbours) : undefined;
    const o = this.o;
    const { out, index } = await fitEmbeddingModel(
      {
        vectors,
        labels,
        group,
        fold,
        folds,
        dim,
        gram,
        k: o.k,
        neighbourSet: neighbours,
        knnStop: base.knnStop,
        probe: o.probe,
        probeL2: o.probeL2,
        probeMaxIter: o.probeMaxIter,
        probeMaxExamples: o.probeMaxExamples,
        rareBuckets: o.rareBuckets,
        // Out-of-fold refits start the probe's solver from this detector's previous fit's probe with the same
        // embedder (same optimum within its tolerance, fewer steps); any other fit, and the first fit after
        // fromJSON() or dispose(), starts cold, so it gives the model a fresh detector gives.
        probeStart:
          (isFoldFit(examples) && this.lastFitProbe?.embedderId === embedder.id && this.lastFitProbe.probe) ||
          undefined,
        checkAborted: () => AbortedError.throwIfAborted(signal, what),
      },
      (center) => {
        const partial: FittedModel = {
          ...base,
          center,
          centroidBot: center,
          centroidHuman: center,
          probe: null,
          calibration: { weights: [], intercept: 0 },
          training,
        };
        return buildIndex(partial, this.chooseMethod(partial), o.hnsw, o.useAnn === 'auto');
      },
    );
    const { probeExamples, ...learned } = out;
    const old = this.indexPending;
    // An index built during the fit holds exactly the final labelled vectors: keep it for detect().
    this.indexPending = index ? Promise.resolve(index) : undefined;
    this.model = { ...base, ...learned, training: { ...training, probeExamples } };
    this.lastFitProbe = { embedderId: embedder.id, probe: learned.probe };
    if (old) await old.then((i) => i.dispose()).catch(() => undefined);
  }

  /**
   * Judges the target as messages arrive. With a `HashingEmbedder` and exact search (the default for hashed
   * vectors) each pushed target message updates the dot products of the running embedding with the centroids,
   * the probe and every labelled vector from the buckets the message changed, then picks the neighbours in one
   * pass over the labelled set: the cost of a push is independent of the transcript's length so far (on the
   * ConvAI fit, about 30,000 multiply-adds and 1,154 similarities per target message). With an HNSW index the
   * running embedding is read back and searched at each target message (at most `dim` entries); with a
   * model-backed embedder the target's whole text is embedded again at each target message (cost grows with
   * the text, up to the model's maximum length). Messages of other speakers leave the detection unchanged (the
   * same object). After the last push the detection equals `detect()` on the whole transcript: exactly with an
   * HNSW index or a model-backed embedder, and with exact hashed search up to the order of the sums (scores
   * and evidence values within 1e-12, the same label, neighbours and sentences).
   *
   * @param opts - the target speaker (and profile, unused)
   * @throws NotFittedError before `fit()` or `fromJSON()` (on the first push)
   *
   * @example
   * ```ts
   * const live = detector.stream({ target: 'bot1' });
   * for (const m of transcript.messages) console.log((await live.push(m)).score);
   * ```
   */
  stream(opts: StreamOptions): DetectionStream {
    refuseUnknownStreamOptions(opts, methodOptionsOf('stream', this.name));
    return embeddingStream(this, opts);
  }

  /** Detections of groups of growing prefixes of one transcript, each group read once; see `detectPrefixes`. @internal */
  detectPrefixes(
    groups: readonly (readonly ValidTranscript[])[],
    opts: DetectOptions = {},
  ): Promise<Detection[][]> {
    return detectPrefixes(this, groups, opts);
  }

  /** The embedder and the kNN index for streaming. @internal */
  async streamParts(): Promise<{ m: FittedModel; embedder: Embedder; index: VectorIndex }> {
    const m = this.requireModel();
    const embedder = await this.embedder.checked(m);
    return { m, embedder, index: await this.index(m) };
  }

  /**
   * The options and fitted state as JSON, for {@link EmbeddingCentroidDetector.fromJSON}. Labelled vectors are
   * stored as float16 (sparse ones as positions and values), centroids and probe weights as float32, all
   * base64; restoring gives identical scores. An unfitted detector saves its options only.
   */
  toJSON(): DetectorState {
    const id = this.model?.embedderId ?? this.embedder.id ?? null;
    return encodeState(this.o, id, this.model, this.embedder.source(id));
  }

  /**
   * Rebuilds a detector from {@link EmbeddingCentroidDetector.toJSON} output.
   *
   * Without `options.embedder`, a hashing embedder is rebuilt from its saved id, and a transformer embedder is
   * created on first use from where the state says its model came from (`embedderModel`: a local folder by its
   * absolute path, or a hub id with its revision and dtype); `options.embedderOptions` relocate it (`modelDir`,
   * `cacheDir`, `offline`) or replace it.
   *
   * @param state - the saved state
   * @param options - `embedder` to use (its id must equal the saved one); `embedderOptions` for a default
   *   transformer embedder (e.g. `modelDir`, `offline`)
   * @throws InvalidOptionsError for malformed state, or an embedder whose id differs from the saved one (the
   *   message names both)
   *
   * @example
   * ```ts
   * const d = EmbeddingCentroidDetector.fromJSON(JSON.parse(await readFile('embedding.json', 'utf8')));
   * ```
   */
  static fromJSON(
    state: DetectorState,
    options: { embedder?: Embedder; embedderOptions?: TransformersEmbedderOptions } = {},
  ): EmbeddingCentroidDetector {
    const r = readState(state, options);
    const d = new EmbeddingCentroidDetector(r.options);
    if (r.ownsEmbedder) d.embedder.owns = true;
    d.model = r.model;
    return d;
  }

  /**
   * Frees the kNN index, the fit cache and the embedder the detector created itself (an embedder you passed in
   * is left open).
   */
  async dispose(): Promise<void> {
    const pending = this.indexPending;
    this.indexPending = undefined;
    this.cache.clear();
    this.lastFitProbe = undefined;
    if (pending) await pending.then((i) => i.dispose()).catch(() => undefined);
    await this.embedder.dispose();
  }
}
