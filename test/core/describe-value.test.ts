import { describe, expect, it } from 'vitest';
import { describeValue } from '../../src/core/describe-value.js';
import { checkDescriptor } from '../../src/detectors/descriptor.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { ensemblePreset } from '../../src/detectors/ensemble-presets.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { PerplexityDiversityDetector } from '../../src/detectors/perplexity/perplexity-diversity-detector.js';
import { checkScores } from '../../src/ensemble/calibrate.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { resolveEnsembleOptions } from '../../src/ensemble/ensemble-options.js';
import { checkPrefixCuts } from '../../src/ensemble/member-examples.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../../src/errors/invalid-transcript-error.js';
import { resolveHubAccess } from '../../src/hub/hub-options.js';
import { pullModel } from '../../src/hub/pull-model.js';
import { attachLoraAdapter } from '../../src/quant/attach-lora.js';
import { quantizeInt4Blockwise } from '../../src/quant/int4.js';
import { quantizeInt8 } from '../../src/quant/int8.js';
import { quantizeOnnxModel } from '../../src/quant/quantize-model.js';
import { checkBatchSize } from '../../src/runtime/batching.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { validateModelOptions } from '../../src/runtime/model-options.js';
import { checkLanguage } from '../../src/select/check-language.js';
import { parseByteSize } from '../../src/select/parse-byte-size.js';
import { validateChecklistOptions } from '../../src/select/validate-checklist-options.js';
import { resolveServerOptions } from '../../src/server/options.js';
import { bytesPerParameter } from '../../src/sizing/memory-estimate.js';
import { defaultModelFor } from '../../src/zoo/model-zoo.js';
import { chat } from '../helpers/transcripts.js';

// Options checks are called from plain JavaScript too, where any value can arrive: each must answer a bigint (which
// JSON.stringify throws on) with its typed error, never with a TypeError from building the message.
type Loose = (value: unknown) => unknown;
const loose = <T>(f: (value: T) => unknown): Loose => f as Loose;

describe('describeValue (the one writer of "got ..." in error messages)', () => {
  it('quotes strings, marks bigints, writes arrays item by item and never throws', () => {
    expect(describeValue('0.5')).toBe('"0.5"');
    expect(describeValue(0.5)).toBe('0.5');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(2n)).toBe('2n');
    expect(describeValue([1, '2', 3n, Number.NaN, null])).toBe('[1, "2", 3n, NaN, null]');
    expect(describeValue([[1], 2])).toBe('[[...], 2]');
    expect(describeValue(Array.from({ length: 10 }, (_, i) => i))).toBe(
      '[0, 1, 2, 3, 4, 5, 6, 7, ... 2 more]',
    );
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(describeValue(cyclic)).toBe('[[...]]');
    expect(describeValue(Object.create(null))).toBe('{}');
  });

  it('writes a plain object as its JSON, bigints with their n, cut after 80 characters', () => {
    // Before: "[object Object]", where JSON.stringify had written {"q8":true}.
    expect(describeValue({ q8: true })).toBe('{"q8":true}');
    expect(describeValue({ n: 1n, list: [2n, 'x'], inner: { m: -3n } })).toBe(
      '{"n":1n,"list":[2n,"x"],"inner":{"m":-3n}}',
    );
    expect(describeValue([{ a: 1 }, 2])).toBe('[{"a":1}, 2]');
    const long = describeValue({ text: 'x'.repeat(200) });
    expect(long).toBe(`{"text":"${'x'.repeat(71)}...`);
    expect(long.length).toBe(83);
  });

  it('falls back to String() for what JSON cannot write, and never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(describeValue(cyclic)).toBe('[object Object]');
    const throwing = {
      get x(): never {
        throw new Error('getter');
      },
    };
    expect(describeValue(throwing)).toBe('[object Object]');
    expect(describeValue(new Date(0))).toBe(String(new Date(0)));
    expect(describeValue(new Map([[1, 2]]))).toBe('[object Map]');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeValue(proxy)).toBe('[object Object]');
    expect(describeValue([proxy])).toBe('[[object Object]]');
    const fn = Proxy.revocable(() => 0, {});
    fn.revoke();
    expect(describeValue(fn.proxy)).toBe('[object Function]');
    const hostile = new Proxy([1, 2], {
      get() {
        throw new Error('trap');
      },
    });
    expect(describeValue(hostile)).toBe('[...]');
  });
});

describe('options checks refuse a bigint, or a value String() cannot write, with their typed error', () => {
  const members = [new HeuristicDetector()];
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['ensemble strategy', () => resolveEnsembleOptions(members, { strategy: 1n } as never), /got 1n/],
    ['ensemble noveltyGuard', () => resolveEnsembleOptions(members, { noveltyGuard: 1n } as never), /got 1n/],
    [
      'ensemble memberFeatures',
      () => resolveEnsembleOptions(members, { memberFeatures: 1n } as never),
      /got 1n/,
    ],
    ['memberPrefixCuts', () => checkPrefixCuts([1n]), /got \[1n\]/],
    ['memberPrefixCuts repeated', () => checkPrefixCuts([2, 2]), /got \[2, 2\]; list each count once/],
    ['calibration labels', () => checkScores([0.5], [1n] as never), /labels\[0\] is 1n/],
    ['model dtype', () => validateModelOptions({ model: 'a/b', dtype: 1n } as never), /got 1n/],
    ['model offline', () => validateModelOptions({ model: 'a/b', offline: 1n } as never), /got 1n/],
    ['hub revision', () => resolveHubAccess({ revision: 1n } as never), /got 1n/],
    ['byte size', () => loose(parseByteSize)(1n), /got 1n/],
    ['weight dtype', () => loose(bytesPerParameter)(1n), /got 1n/],
    ['zoo detector', () => loose(defaultModelFor)(1n), /got 1n/],
    ['checklist task', () => validateChecklistOptions({ task: 1n } as never), /got 1n/],
    ['languages', () => checkLanguage({} as never, { languages: [1n] } as never), /got 1n/],
    [
      'embedding rareBuckets.action',
      () => new EmbeddingCentroidDetector({ rareBuckets: { minConversations: 10, action: 1n } } as never),
      /got 1n/,
    ],
    [
      'embedding rareBuckets.count',
      () => new EmbeddingCentroidDetector({ rareBuckets: { minConversations: 10, count: 1n } } as never),
      /got 1n/,
    ],
    ['embedding useAnn', () => new EmbeddingCentroidDetector({ useAnn: 1n } as never), /got 1n/],
    ['perplexity unit', () => new PerplexityDiversityDetector({ unit: 1n } as never), /got 1n/],
    ['int8 format', () => quantizeOnnxModel({} as never, { bits: 8, int8Format: 1n } as never), /got 1n/],
    ['reduceRange', () => quantizeOnnxModel({} as never, { bits: 8, reduceRange: 1n } as never), /got 1n/],
    ['int4 layout', () => quantizeInt4Blockwise([0], 1, 1, { layout: 1n } as never), /got 1n/],
    ['int8 type', () => quantizeInt8([0], [1], { type: 1n } as never), /got 1n/],
    [
      'descriptor type',
      () => checkDescriptor({ type: 1n, specificationVersion: 'v1' }),
      /detector type 1n|got 1n/,
    ],
    [
      'descriptor specificationVersion',
      () => checkDescriptor({ type: 'x', specificationVersion: 1n }),
      /contract 1n/,
    ],
    ['preset name', () => ensemblePreset(1n), /got 1n; use one of transfer/],
  ];
  // String() throws on an object without a prototype ("Cannot convert object to primitive value") and writes any
  // other object as "[object Object]": the checks that used it now write the value with describeValue.
  const bare = () => Object.create(null) as unknown;
  const bareCases: Array<[string, () => unknown, RegExp]> = [
    ['ensemble threshold', () => resolveEnsembleOptions(members, { threshold: bare() } as never), /got \{\}/],
    ['ensemble folds', () => resolveEnsembleOptions(members, { folds: bare() } as never), /got \{\}/],
    [
      'ensemble margin',
      () => resolveEnsembleOptions(members, { margin: { m: 2 } } as never),
      /got \{"m":2\}/,
    ],
    ['batch size', () => checkBatchSize('batchSize', bare() as never), /got \{\}/],
    ['hashing dim', () => new HashingEmbedder({ dim: bare() } as never), /got \{\}/],
    ['model threads', () => validateModelOptions({ model: 'a/b', threads: bare() } as never), /got \{\}/],
    [
      'heuristic weights intercept',
      () => new HeuristicDetector({ weights: { intercept: bare() } } as never),
      /got \{\}/,
    ],
    ['service maxQueued', () => resolveServerOptions({ maxQueued: bare() } as never), /got \{\}/],
    ['service maxConcurrent', () => resolveServerOptions({ maxConcurrent: [2] } as never), /got \[2\]/],
    [
      'embedding knnStopShare',
      () => new EmbeddingCentroidDetector({ knnStopShare: bare() } as never),
      /got \{\}/,
    ],
  ];
  it.each([...cases, ...bareCases])('%s', (_name, call, message) => {
    let thrown: unknown;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionsError);
    expect((thrown as Error).message).toMatch(message);
  });

  it('attachLoraAdapter refuses a bigint dtype before reading any folder', async () => {
    await expect(
      attachLoraAdapter({ base: 'b', adapter: 'a', out: 'o', dtype: 1n } as never),
    ).rejects.toThrow(/got 1n/);
  });

  it('fit refuses a bigint label with InvalidTranscriptError (heuristic and ensemble)', async () => {
    const examples = [
      { ...chat('b', ['a: hi', 'b: Hello !']), label: 1n },
      { ...chat('b', ['a: hi', 'b: hey']), label: 'human' },
    ] as never;
    for (const fit of [
      () => new HeuristicDetector().fit(examples),
      () => new Ensemble([new HeuristicDetector()], { strategy: 'stacking' }).fit(examples),
    ]) {
      const thrown = await Promise.resolve()
        .then(fit)
        .catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(InvalidTranscriptError);
      expect((thrown as Error).message).toMatch(/got 1n/);
    }
  });

  it('pullModel refuses a bigint id and bigint dtypes before any network access', async () => {
    await expect(loose(pullModel)(1n) as Promise<unknown>).rejects.toThrow(InvalidOptionsError);
    await expect(pullModel('a/b', { dtypes: [1n] } as never)).rejects.toThrow(/got \[1n\]/);
  });
});
