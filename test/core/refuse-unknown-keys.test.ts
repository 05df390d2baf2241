/**
 * Plain JavaScript callers get no compile-time check of option keys: every public constructor refuses a key its
 * options do not have (a misspelt option used to be ignored, giving the default without a word).
 */
import { describe, expect, it } from 'vitest';
import { ExactSearch } from '../../src/ann/exact-search.js';
import { type OptionKeys, type OptionsPlace, refuseUnknownKeys } from '../../src/core/refuse-unknown-keys.js';
import { scoreCorpus, scoreCorpusOnQueue, startQueueWorker, writeScores } from '../../src/corpus/index.js';
import {
  EmbeddingCentroidDetector,
  HashingEmbedder,
  LinearProbeDetector,
  NliZeroShotDetector,
  TransformersEmbedder,
} from '../../src/detectors/index.js';
import {
  calibrateThreshold,
  computeMetrics,
  createDetector,
  detectorFromFile,
  detectorFromState,
  detectTimeline,
  Ensemble,
  evaluateDetector,
  HeuristicDetector,
  InvalidOptionsError,
  limitTranscript,
  openStream,
  PartnerContrastDetector,
  parseTranscriptsJsonl,
  readTranscriptJson,
  registerDetector,
  validateTranscript,
} from '../../src/index.js';
import { distill, mergeLoraAdapter, trainLora } from '../../src/peft/index.js';
import { attachLoraAdapter, optimizeModelFolder, quantize } from '../../src/quant/index.js';
import { checkModel, pullModel } from '../../src/select/index.js';
import { createServer, startService } from '../../src/server/index.js';
import { runDetectorConformance } from '../../src/testing/index.js';

/** Calls `make` and returns the InvalidOptionsError it throws (fails the test when it throws none). */
function refusal(make: () => unknown): InvalidOptionsError {
  try {
    make();
  } catch (e) {
    if (InvalidOptionsError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an InvalidOptionsError');
}

const loose = (o: Record<string, unknown>) => o as never;

describe('constructors refuse unknown option keys', () => {
  it.each([
    [
      'new Ensemble()',
      () => new Ensemble([new HeuristicDetector()], loose({ stratgy: 'stacking' })),
      'stratgy',
      'strategy',
    ],
    [
      'new EmbeddingCentroidDetector()',
      () => new EmbeddingCentroidDetector(loose({ embeder: new HashingEmbedder() })),
      'embeder',
      'embedder',
    ],
    [
      'new NliZeroShotDetector()',
      () => new NliZeroShotDetector(loose({ modelDirr: '/x' })),
      'modelDirr',
      'modelDir',
    ],
    ['new HeuristicDetector()', () => new HeuristicDetector(loose({ l2s: 10 })), 'l2s', 'l2'],
    [
      'new PartnerContrastDetector()',
      () => new PartnerContrastDetector(loose({ Threshold: 0.5 })),
      'Threshold',
      'threshold',
    ],
    [
      'new TransformersEmbedder()',
      () => new TransformersEmbedder(loose({ pooling: 'mean', polling: 'cls' })),
      'polling',
      'pooling',
    ],
    ['new HashingEmbedder()', () => new HashingEmbedder(loose({ dims: 64 })), 'dims', 'dim'],
    ['new ExactSearch()', () => new ExactSearch(loose({ dim: 4, centre: [0, 0, 0, 0] })), 'centre', 'center'],
  ])('%s names the unknown key and the one meant', (what, make, key, meant) => {
    const e = refusal(make);
    expect(e.option).toBe(key);
    expect(e.message).toContain(`not a key of the options of ${what}; did you mean "${meant}"?`);
    expect(e.message).toMatch(/Its keys are .*: remove or rename it\.$/);
  });

  it('names every unknown key, and suggests nothing when no key is close', () => {
    const e = refusal(() => new HeuristicDetector(loose({ colour: 'red', size: 3 })));
    expect(e.option).toBe('colour');
    expect(e.message).toBe(
      'Invalid option "colour": not a key of the options of new HeuristicDetector() (nor are "size"). Its keys are name, threshold, weights, l2, limits, evidenceShrinkage, minHumanDelayMs, maxHumanCharsPerSecond, repeatWindow: remove or rename it.',
    );
  });

  it('still takes every documented key, the base-class (model and batch) keys included', () => {
    expect(new HeuristicDetector({ l2: 10, repeatWindow: 3 }).name).toBe('heuristic');
    expect(new Ensemble([new HeuristicDetector()], { strategy: 'cascade', margin: 0.2 }).strategy).toBe(
      'cascade',
    );
    expect(new NliZeroShotDetector({ modelDir: '/x', dtype: 'q8', batchSize: 4, contextTurns: 1 }).name).toBe(
      'nli',
    );
  });
});

/** The InvalidOptionsError `run` rejects or throws with (fails the test when it gives none). */
async function refusalOf(run: () => unknown): Promise<InvalidOptionsError> {
  try {
    const r = run();
    // An async generator: its first step runs the function's body.
    if (r !== null && typeof r === 'object' && Symbol.asyncIterator in r) await (r as AsyncGenerator).next();
    else await r;
  } catch (e) {
    if (InvalidOptionsError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an InvalidOptionsError');
}

const detector = { state: new HeuristicDetector().toJSON() };

const transcript = {
  target: 'b',
  messages: [
    { speaker: 'a', text: 'hi' },
    { speaker: 'b', text: 'Hello !' },
  ],
};

describe('public functions (src/index.ts and the subpath entry points) refuse unknown option keys, nested ones included', () => {
  it.each([
    [
      'evaluateDetector()',
      () =>
        evaluateDetector(
          new HeuristicDetector(),
          [{ ...transcript, label: 'bot' }],
          loose({ treshold: 0.5 }),
        ),
      'treshold',
      'threshold',
    ],
    [
      'detectorFromState()',
      () => detectorFromState(new HeuristicDetector().toJSON(), loose({ modeldir: '/x' })),
      'modeldir',
      'modelDir',
    ],
    [
      'detectorFromFile()',
      () => detectorFromFile('/nonexistent.json', loose({ ofline: true })),
      'ofline',
      'offline',
    ],
    [
      'createDetector() and createEnsemble()',
      () => createDetector({ type: 'heuristic' }, loose({ onprogress: () => {} })),
      'onprogress',
      'onProgress',
    ],
    ['computeMetrics()', () => computeMetrics([0.9], ['bot'], loose({ bin: 5 })), 'bin', 'bins'],
    [
      'calibrateThreshold()',
      () => calibrateThreshold([0.9], ['bot'], loose({ fpr: 0.1, FPR: 0.1 })),
      'FPR',
      'fpr',
    ],
    [
      'detectTimeline()',
      () => detectTimeline(new HeuristicDetector(), transcript, loose({ messageOfset: 1 })),
      'messageOfset',
      'messageOffset',
    ],
    [
      'openStream()',
      () => openStream(new HeuristicDetector(), loose({ target: 'b', targte: 'b' })),
      'targte',
      'target',
    ],
    [
      'limitTranscript()',
      () => limitTranscript(transcript, loose({ truncated: true })),
      'truncated',
      'truncate',
    ],
    [
      'parseTranscriptsJsonl()',
      () => parseTranscriptsJsonl('', '<x>', loose({ requireLabels: false })),
      'requireLabels',
      'requireLabel',
    ],
    [
      'readTranscriptJson()',
      () => readTranscriptJson('/nonexistent.json', loose({ limit: {} })),
      'limit',
      'limits',
    ],
    [
      'createServer()',
      () => createServer(new HeuristicDetector(), loose({ maxBatchs: 4 })),
      'maxBatchs',
      'maxBatch',
    ],
    ['startService()', () => startService({}, loose({ prot: 0 })), 'prot', 'port'],
    ['scoreCorpus()', () => scoreCorpus([], loose({ detector, threds: 2 })), 'threds', 'threads'],
    [
      'scoreCorpusOnQueue()',
      () => scoreCorpusOnQueue([], loose({ detector, redis: 'redis://127.0.0.1:1', windows: 2 })),
      'windows',
      'window',
    ],
    [
      'startQueueWorker()',
      () => startQueueWorker(loose({ redis: 'redis://x', concurency: 2 })),
      'concurency',
      'concurrency',
    ],
    [
      'writeScores()',
      () => writeScores('/nonexistent', async function* () {}, loose({ out: '/tmp/x', reject: '/tmp/y' })),
      'reject',
      'rejects',
    ],
    [
      'mergeLoraAdapter()',
      () => mergeLoraAdapter(loose({ base: '/a', adapter: '/b', out: '/c', overwrites: true })),
      'overwrites',
      'overwrite',
    ],
    [
      'trainLora()',
      () => trainLora(loose({ model: 'x', examples: [], out: '/c', epoch: 2 })),
      'epoch',
      'epochs',
    ],
    [
      'attachLoraAdapter()',
      () => attachLoraAdapter(loose({ base: '/a', adapter: '/b', out: '/c', dtyp: 'q8' })),
      'dtyp',
      'dtype',
    ],
    [
      'optimizeModelFolder()',
      () => optimizeModelFolder('/a', loose({ out: '/b', pases: [] })),
      'pases',
      'passes',
    ],
    ['quantize()', () => quantize('/a', loose({ bits: 8, verfy: true })), 'verfy', 'verify'],
    [
      'checkModel()',
      () => checkModel('a/b', loose({ task: 'nli', memoryBuget: 1 })),
      'memoryBuget',
      'memoryBudget',
    ],
    ['pullModel()', () => pullModel('a/b', loose({ dtype: ['q8'] })), 'dtype', 'dtypes'],
    [
      'runDetectorConformance() and assertDetectorConformance()',
      () => runDetectorConformance(loose({ create: () => new HeuristicDetector(), timeout: 5 })),
      'timeout',
      'timeoutMs',
    ],
    [
      'registerDetector()',
      () => registerDetector(loose({}), loose({ replaced: true })),
      'replaced',
      'replace',
    ],
  ])('%s names the unknown key and the one meant', async (what, run, key, meant) => {
    const e = await refusalOf(run);
    expect(e.option).toBe(key);
    expect(e.message).toContain(`not a key of the options of ${what}; did you mean "${meant}"?`);
    expect(e.message).toMatch(/Its keys are .*: remove or rename it\.$/);
  });

  it('distill() names the unknown key and the one meant', async () => {
    const e = await refusalOf(() =>
      distill(loose({ teacher: new HeuristicDetector(), transcripts: [], student: {}, hardLabel: true })),
    );
    expect(e.option).toBe('hardLabel');
    expect(e.message).toContain('not a key of the options of distill(); did you mean "hardLabels"?');
  });

  it('nested options name their path: limits, ci, embedderOptions', async () => {
    const limits = await refusalOf(() => validateTranscript(transcript, loose({ maxMesages: 5 })));
    expect(limits.option).toBe('limits.maxMesages');
    expect(limits.message).toContain('not a key of the validation limits; did you mean "maxMessages"?');
    const viaTimeline = await refusalOf(() =>
      detectTimeline(new HeuristicDetector(), transcript, { limits: loose({ maxMessage: 5 }) }),
    );
    expect(viaTimeline.option).toBe('limits.maxMessage');
    const ci = await refusalOf(() =>
      evaluateDetector(new HeuristicDetector(), [{ ...transcript, label: 'bot' }], {
        ci: loose({ resample: 10 }),
      }),
    );
    expect(ci.option).toBe('ci.resample');
    expect(ci.message).toContain('did you mean "resamples"?');
    // Refused when the detector is built, not at its first fit or detect (the embedder is created only then).
    const embedder = await refusalOf(
      () => new EmbeddingCentroidDetector(loose({ embedderOptions: { modelDirr: '/x' } })),
    );
    expect(embedder.option).toBe('embedderOptions.modelDirr');
    expect(embedder.message).toContain('did you mean "modelDir"?');
  });

  it('still takes every documented key', async () => {
    const d = new HeuristicDetector();
    expect(computeMetrics([0.9, 0.1], ['bot', 'human'], { threshold: 0.5, bins: 5 }).n).toBe(2);
    expect(limitTranscript(transcript, { limits: { maxMessages: 5 }, truncate: true }).target).toBe('b');
    const points = await detectTimeline(d, transcript, { limits: { maxMessages: 5 }, messageOffset: 1 });
    expect(points).toHaveLength(1);
    expect(openStream(d, { target: 'b', limits: {} })).toBeDefined();
    expect((await detectorFromState(d.toJSON(), { threshold: 0.6, offline: true })).name).toBe('heuristic');
    expect(new EmbeddingCentroidDetector({ embedderOptions: { modelDir: '/x', pooling: 'cls' } }).name).toBe(
      'embedding',
    );
  });
});

describe('refuseUnknownKeys takes where the options are as one object { at?, option? }', () => {
  type Opts = { modelDir?: string };
  const known: OptionKeys<Opts> = { modelDir: true };
  const check = (options: unknown, what: string, place?: OptionsPlace) =>
    refuseUnknownKeys(options as Opts, known, what, place);
  it('at: names a nested key by its path, and options that are not an object by it', () => {
    const nested = refusal(() =>
      check({ modelDirr: '/x' }, 'the embedder options', { at: 'embedderOptions' }),
    );
    expect(nested.option).toBe('embedderOptions.modelDirr');
    const notObject = refusal(() => check(['x'], 'the embedder options', { at: 'embedderOptions' }));
    expect(notObject.option).toBe('embedderOptions');
  });
  it('option: names options that are not an object, while keys keep their own names', () => {
    const notObject = refusal(() => check(3, 'an ensemble spec', { option: 'ensemble' }));
    expect(notObject.option).toBe('ensemble');
    expect(notObject.message).toContain('an ensemble spec must be an object (or left out), got 3');
    const key = refusal(() => check({ fodls: 3 }, 'an ensemble spec', { option: 'ensemble' }));
    expect(key.option).toBe('fodls');
  });
  it('with neither: the key itself, and "options"', () => {
    expect(refusal(() => check({ x: 1 }, 'the options of f()')).option).toBe('x');
    expect(refusal(() => check(null, 'the options of f()')).option).toBe('options');
  });
});

describe('methods that take an options object refuse unknown keys, worded as constructors are', () => {
  const labelled = [
    { ...transcript, label: 'bot' as const },
    { ...transcript, label: 'human' as const },
  ];
  const hashed = () => new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
  const probe = () => new LinearProbeDetector({ embedder: new HashingEmbedder() });
  const fitted = async () => {
    const d = new PartnerContrastDetector();
    await d.fit(Array.from({ length: 4 }, (_, i) => labelled[i % 2]!));
    return d;
  };

  const bad = loose({ sigal: 1 });
  /** Each call, by the words its refusal uses for it. */
  const calls: Record<string, () => unknown> = {
    'detect() on "heuristic"': () => new HeuristicDetector().detect(transcript, bad),
    'detectBatch() on "heuristic"': () => new HeuristicDetector().detectBatch([transcript], bad),
    'fit() on "heuristic"': () => new HeuristicDetector().fit(labelled, bad),
    'detect() on "partner-contrast"': async () => (await fitted()).detect(transcript, bad),
    'fit() on "partner-contrast"': () => new PartnerContrastDetector().fit(labelled, bad),
    'fit() on "embedding"': () => hashed().fit(labelled, bad),
    'detect() on "embedding"': () => hashed().detect(transcript, bad),
    'detect() on "nli"': () => new NliZeroShotDetector().detect(transcript, bad),
    'detect() on "probe"': () => probe().detect(transcript, bad),
    'detect() on "ensemble"': () => new Ensemble([new HeuristicDetector()]).detect(transcript, bad),
    'detectBatch() on "ensemble"': () =>
      new Ensemble([new HeuristicDetector()]).detectBatch([transcript], bad),
  };

  it.each(Object.entries(calls))('%s names the unknown key and the one meant', async (call, run) => {
    const e = await refusalOf(run);
    expect(e.option).toBe('sigal');
    expect(e.message).toContain(`not a key of the options of ${call}; did you mean "signal"?`);
  });

  it('Ensemble fit() and dispose(), and stream() on the detectors and the ensemble, check their own keys', async () => {
    const fit = await refusalOf(() =>
      new Ensemble([new HeuristicDetector()]).fit(labelled, loose({ group: [] })),
    );
    expect(fit.option).toBe('group');
    expect(fit.message).toContain('not a key of the options of fit() on "ensemble"; did you mean "groups"?');
    const dispose = await refusalOf(() =>
      new Ensemble([new HeuristicDetector()]).dispose(loose({ timeoutMS: 5 })),
    );
    expect(dispose.option).toBe('timeoutMS');
    expect(dispose.message).toContain(
      'not a key of the options of dispose() on "ensemble"; did you mean "timeoutMs"?',
    );
    for (const [d, name] of [
      [new HeuristicDetector(), 'heuristic'],
      [await fitted(), 'partner-contrast'],
      [hashed(), 'embedding'],
      [new Ensemble([new HeuristicDetector()]), 'ensemble'],
    ] as const) {
      const e = await refusalOf(() => d.stream(loose({ target: 'b', limts: {} })));
      expect(e.option).toBe('limts');
      expect(e.message).toContain(
        `not a key of the options of stream() on "${name}"; did you mean "limits"?`,
      );
    }
  });

  it('still takes every documented key', async () => {
    const ac = new AbortController();
    const h = new HeuristicDetector();
    expect((await h.detect(transcript, { signal: ac.signal })).detector).toBe('heuristic');
    await h.fit(labelled, { signal: ac.signal });
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking', folds: 2 });
    await e.fit([...labelled, ...labelled], { signal: ac.signal, groups: ['a', 'a', 'b', 'b'] });
    expect(e.stream({ target: 'b', limits: { maxMessages: 10 }, profile: {} })).toBeDefined();
    await e.dispose({ timeoutMs: 100, onWarning: () => undefined });
  });
});
