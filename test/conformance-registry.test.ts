import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { abstained, nowMs, scored } from '../src/core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { targetMessages, validateTranscript } from '../src/core/validate.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { defineDetector } from '../src/detectors/descriptor.js';
import { registerDetector, registeredDetectorTypes } from '../src/detectors/detector-registry.js';
import { detectorSpecSchema } from '../src/detectors/detector-spec.js';
import {
  createDetector,
  createEnsemble,
  detectorFromFile,
  detectorFromState,
} from '../src/detectors/registry.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { type ConformanceOptions, runDetectorConformance } from '../src/testing/conformance.js';
import { CONVAI_DIR, describeWithShared, HF_TINY } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-registry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const transcript = chat('x', [
  'u: hey, how was your weekend?',
  'x: Hello ! I am fine . What do you do for fun ?',
  'u: hiking mostly',
  'x: That is great ! I like to read books . Do you have any pets ?',
]);
const silent = chat('x', ['u: hi', 'x: ']);

/** Runs the suite on a type built through the registry and restored through it. */
async function conformanceOf(
  spec: { type: string; [k: string]: unknown },
  extra: Partial<ConformanceOptions> = {},
) {
  const made: Detector[] = [];
  const track = async (d: Detector | Promise<Detector>) => {
    const x = await d;
    made.push(x);
    return x;
  };
  try {
    const report = await runDetectorConformance({
      create: () => track(createDetector(spec)),
      fromJSON: (s) => track(detectorFromState(s)),
      transcript,
      abstainTranscript: silent,
      ...extra,
    });
    return report.checks.filter((c) => !c.ok);
  } finally {
    await Promise.allSettled(made.map((d) => d.dispose?.()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A detector an app adds: judges the mean length of the target's messages against a cutoff that fit() learns.
// ---------------------------------------------------------------------------------------------------------------

const lengthyOptions = z.strictObject({
  name: z.string().min(1).default('lengthy'),
  threshold: z.number().min(0).max(1).default(0.5),
  slope: z.number().positive().default(0.1),
});

class LengthyDetector implements Detector {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  cutoff = 40;
  constructor(private readonly o: z.output<typeof lengthyOptions>) {
    this.name = o.name;
  }
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, 'lengthy detect');
    const mine = targetMessages(validateTranscript(t)).filter((m) => m.text.trim() !== '');
    if (mine.length === 0) return abstained(this.name, 'The target wrote no text.', started);
    const mean = mine.reduce((s, m) => s + m.text.length, 0) / mine.length;
    const score = 1 / (1 + Math.exp(-this.o.slope * (mean - this.cutoff)));
    const evidence = [
      { name: 'mean_length', value: mean, sentence: `Mean message length ${mean.toFixed(0)}.` },
    ];
    return scored(this.name, score, this.o.threshold, evidence, started);
  }
  async fit(examples: LabelledTranscript[]): Promise<void> {
    const mean = (label: string) => {
      const lens = examples
        .filter((e) => e.label === label)
        .flatMap((e) => targetMessages(validateTranscript(e)).map((m) => m.text.length));
      return lens.reduce((s, x) => s + x, 0) / Math.max(1, lens.length);
    };
    this.cutoff = (mean('bot') + mean('human')) / 2;
  }
  toJSON(): DetectorState {
    return { kind: 'lengthy', version: 1, ...this.o, cutoff: this.cutoff };
  }
}

const lengthyDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'lengthy',
  description: 'long messages look like a bot',
  optionsSchema: lengthyOptions,
  stateVersion: 1,
  stateSchema: z.looseObject({ cutoff: z.number().finite() }),
  create: (o) => new LengthyDetector(o),
  restore(state) {
    const { cutoff, kind: _k, version: _v, ...rest } = state;
    const d = new LengthyDetector(lengthyOptions.parse(rest));
    d.cutoff = cutoff as number;
    return d;
  },
});

const train: LabelledTranscript[] = Array.from({ length: 10 }, (_, i) => ({
  ...(i % 2 ? transcript : { target: 'x', messages: [{ speaker: 'x', text: `lol ${i}` }] }),
  label: i % 2 ? 'bot' : 'human',
}));

describe('registerDetector', () => {
  registerDetector(lengthyDescriptor);

  it('a registered type builds from specs, validates its options and passes the conformance suite', async () => {
    expect(registeredDetectorTypes()).toContain('lengthy');
    expect(detectorSpecSchema.safeParse({ type: 'lengthy', slope: 0.2 }).success).toBe(true);
    const bad = detectorSpecSchema.safeParse({ type: 'lengthy', slope: -1 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['slope']);
    await expect(createDetector({ type: 'lengthy', sloop: 1 })).rejects.toSatisfy(
      (e: unknown) => InvalidOptionsError.isInstance(e) && /sloop/.test(e.message),
    );
    expect(await conformanceOf({ type: 'lengthy' }, { fitExamples: train })).toEqual([]);
  });

  it('fits, saves and loads back through detectorFromFile, alone and inside an ensemble', async () => {
    const ens = await createEnsemble({
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, { type: 'lengthy', slope: 0.3 }],
    });
    await ens.fit([...train, ...train]);
    const file = join(tmp, 'ens.json');
    writeFileSync(file, JSON.stringify(ens.toJSON()));
    const back = await detectorFromFile(file);
    expect((await back.detect(transcript)).score).toBe((await ens.detect(transcript)).score);

    const alone = await createDetector({ type: 'lengthy' });
    await alone.fit?.(train);
    const one = join(tmp, 'lengthy.json');
    writeFileSync(one, JSON.stringify(alone.toJSON?.()));
    const loaded = await detectorFromFile(one, { threshold: 0.99 });
    expect(loaded).toBeInstanceOf(LengthyDetector);
    expect((loaded as LengthyDetector).cutoff).toBe((alone as LengthyDetector).cutoff);
    const d = await loaded.detect(transcript);
    expect(d.score).toBe((await alone.detect(transcript)).score);
    expect(d.label).toBe('human'); // the threshold given at load time applies
  });

  it('refuses duplicates, built-in names and unsupported contract versions, with errors that say why', () => {
    expect(() => registerDetector(lengthyDescriptor)).toThrow(/already registered/);
    expect(() => registerDetector({ ...lengthyDescriptor, type: 'heuristic', kind: 'h2' })).toThrow(
      /built-in/,
    );
    expect(() =>
      registerDetector({
        ...lengthyDescriptor,
        type: 'future',
        kind: 'future',
        specificationVersion: 'v9' as 'v1',
      }),
    ).toThrow(/supports only "v1"/);
    expect(() => registerDetector({ ...lengthyDescriptor, type: 'Bad Name' })).toThrow(InvalidOptionsError);
    registerDetector(lengthyDescriptor, { replace: true }); // an app may replace its own type
  });

  it('the conformance suite fails a detector that declares another contract version', async () => {
    const report = await runDetectorConformance({
      create: () => {
        const d = new LengthyDetector(lengthyOptions.parse({}));
        Object.defineProperty(d, 'specificationVersion', { value: 'v2' });
        return d;
      },
      transcript,
    });
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'declares a supported contract version',
    ]);
  });

  it('refuses a restored detector that declares another contract version', async () => {
    registerDetector(
      defineDetector({
        ...lengthyDescriptor,
        type: 'lengthy-next',
        kind: 'lengthy-next',
        restore: () => {
          const d = new LengthyDetector(lengthyOptions.parse({}));
          Object.defineProperty(d, 'specificationVersion', { value: 'v2' });
          return d;
        },
      }),
    );
    await expect(detectorFromState({ kind: 'lengthy-next', version: 1, cutoff: 3 })).rejects.toThrow(
      /contract "v2".*supports only "v1"/,
    );
    await expect(detectorFromState({ kind: 'lengthy', version: 2, cutoff: 3 })).rejects.toThrow(
      /reads lengthy state version 1, got 2/,
    );
  });

  it('reads the state versions from oldestStateVersion to stateVersion, and refuses a range that ends before it starts', async () => {
    registerDetector(
      defineDetector({
        ...lengthyDescriptor,
        type: 'lengthy-two',
        kind: 'lengthy-two',
        stateVersion: 2,
        oldestStateVersion: 1,
      }),
    );
    for (const version of [1, 2]) {
      expect((await detectorFromState({ kind: 'lengthy-two', version, cutoff: 3 })).name).toBe('lengthy');
    }
    await expect(detectorFromState({ kind: 'lengthy-two', version: 3, cutoff: 3 })).rejects.toThrow(
      'Invalid option "state.version": this botlens reads lengthy-two state versions 1 to 2, got 3: refit or upgrade botlens',
    );
    expect(() =>
      defineDetector({ ...lengthyDescriptor, type: 'lengthy-bad', oldestStateVersion: 2 }),
    ).toThrow(/oldestStateVersion.*expected a whole number from 0 to stateVersion \(1\)/);
  });
});

describe('conformance of the built-in types built through the registry', () => {
  it('heuristic', async () => {
    expect(await conformanceOf({ type: 'heuristic' })).toEqual([]);
  });

  it('embedding (hashing embedder)', async () => {
    expect(await conformanceOf({ type: 'embedding', embedder: 'hashing' }, { fitExamples: train })).toEqual(
      [],
    );
  });
});

describeWithShared('conformance of the causal-LM detectors on tiny-gpt2', () => {
  const model = resolve(HF_TINY, 'tiny-gpt2');

  it('perplexity', async () => {
    const fitExamples = (await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'))).slice(0, 16);
    expect(await conformanceOf({ type: 'perplexity', model }, { fitExamples, tolerance: 1e-6 })).toEqual([]);
  }, 120_000);

  it('fewshot', async () => {
    const fitExamples = (await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'))).slice(0, 12);
    expect(await conformanceOf({ type: 'fewshot', model }, { fitExamples, tolerance: 1e-6 })).toEqual([]);
  }, 120_000);
});
