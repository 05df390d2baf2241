import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { MODEL_DTYPES } from '../../src/runtime/model-options.js';
import {
  defaultModelFor,
  MODEL_ZOO,
  ZOO_DETECTORS,
  type ZooDetector,
  type ZooEntry,
} from '../../src/zoo/model-zoo.js';

const entries = Object.entries(MODEL_ZOO) as [string, ZooEntry][];

describe('MODEL_ZOO', () => {
  it('has exactly one default per detector, and that entry serves the detector', () => {
    for (const d of ZOO_DETECTORS) {
      const defaults = entries.filter(([, e]) => e.defaultFor.includes(d));
      expect(defaults, d).toHaveLength(1);
      expect(defaults[0]![1].detectors).toContain(d);
      expect(defaultModelFor(d).id).toBe(defaults[0]![0]);
    }
  });

  it('keys each entry by its id, with a base model, a pinned-or-main revision and known dtypes', () => {
    for (const [key, e] of entries) {
      expect(e.id).toBe(key);
      expect(e.baseModel).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(e.revision).toMatch(/^(main|[0-9a-f]{40})$/);
      expect(e.dtypes.length).toBeGreaterThan(0);
      for (const d of e.dtypes) expect(MODEL_DTYPES).toContain(d);
      expect(e.parameters).toBeGreaterThan(1e6);
      expect(e.languages.length).toBeGreaterThan(0);
      expect(e.notes.length).toBeGreaterThan(10);
    }
  });

  it('lists every detector name once', () => {
    expect(new Set(ZOO_DETECTORS).size).toBe(6);
  });

  it('gives the documented defaults', () => {
    expect(defaultModelFor('nli').id).toBe('Xenova/bart-large-mnli');
    expect(defaultModelFor('embedding').id).toBe('Xenova/e5-small-v2');
    expect(defaultModelFor('perplexity').id).toBe('Xenova/gpt2');
  });

  it('rejects a name that is not a detector with InvalidOptionsError listing the valid ones', () => {
    expect(() => defaultModelFor('heuristic' as ZooDetector)).toThrow(InvalidOptionsError);
    expect(() => defaultModelFor('heuristic' as ZooDetector)).toThrow(/use one of nli, fewshot, embedding/);
  });
});
