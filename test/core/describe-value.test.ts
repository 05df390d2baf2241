import { describe, expect, it } from 'vitest';
import { describeValue } from '../../src/core/describe-value.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { checkScores } from '../../src/ensemble/calibrate.js';
import { resolveEnsembleOptions } from '../../src/ensemble/ensemble-options.js';
import { checkPrefixCuts } from '../../src/ensemble/member-examples.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { resolveHubAccess } from '../../src/hub/hub-options.js';
import { pullModel } from '../../src/hub/pull-model.js';
import { validateModelOptions } from '../../src/runtime/model-options.js';
import { checkLanguage } from '../../src/select/check-language.js';
import { parseByteSize } from '../../src/select/parse-byte-size.js';
import { validateChecklistOptions } from '../../src/select/validate-checklist-options.js';
import { bytesPerParameter } from '../../src/sizing/memory-estimate.js';
import { defaultModelFor } from '../../src/zoo/model-zoo.js';

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
    expect(describeValue(Object.create(null))).toBe('[object Object]');
  });
});

describe('options checks refuse a bigint with their typed error', () => {
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
  ];
  it.each(cases)('%s', (_name, call, message) => {
    let thrown: unknown;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionsError);
    expect((thrown as Error).message).toMatch(message);
  });

  it('pullModel refuses a bigint id and bigint dtypes before any network access', async () => {
    await expect(loose(pullModel)(1n) as Promise<unknown>).rejects.toThrow(InvalidOptionsError);
    await expect(pullModel('a/b', { dtypes: [1n] } as never)).rejects.toThrow(/got \[1n\]/);
  });
});
