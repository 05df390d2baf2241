/**
 * The rule "this spec cannot score without a fitted state", which the CLI and the service apply before they read
 * data or listen: each detector type declares it in its descriptor (`needsFit`), and each declaration is checked
 * here against what the type's `detect()` really does unfitted (throws NotFittedError or not); the strategies'
 * table against what an unfitted ensemble does.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineDetector } from '../../src/detectors/descriptor.js';
import type { DetectorSpec, EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { DETECTOR_TYPES } from '../../src/detectors/detector-spec.js';
import {
  describeUnfitted,
  detectorNeedsFit,
  STRATEGY_NEEDS_FIT,
  unfittedParts,
  unfittedPartsOnLoad,
} from '../../src/detectors/needs-fit.js';
import { createDetector, createEnsemble } from '../../src/detectors/registry.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { NotFittedError } from '../../src/errors/not-fitted-error.js';
import {
  type BAD_NEEDS_FIT,
  NEEDS_FIT_TYPE,
  needsFitDescriptor,
  RENAMED_DEFAULT_NAME,
  RENAMED_TYPE,
  registerBadNeedsFitDetectors,
  registerNeedsFitDetector,
  registerRenamedNeedsFitDetector,
} from '../helpers/needs-fit-detector.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { chat } from '../helpers/transcripts.js';

const transcript = chat('x', [
  'u: hey, how was your weekend?',
  'x: Hello ! I am fine . What do you do for fun ?',
  'u: hiking mostly',
  'x: That is great ! I like to read books . Do you have any pets ?',
]);

/** Whether a detector built from `spec` throws NotFittedError on its first detection. */
async function throwsNotFitted(spec: DetectorSpec): Promise<boolean> {
  const d = await createDetector(spec);
  try {
    await d.detect(transcript);
    return false;
  } catch (err) {
    if (NotFittedError.isInstance(err)) return true;
    throw err;
  } finally {
    await d.dispose?.();
  }
}

/** Checks each spec's declaration against its detector, and returns the types covered. */
async function checkDeclarations(specs: readonly DetectorSpec[]): Promise<Set<string>> {
  for (const spec of specs) {
    expect(detectorNeedsFit(spec), JSON.stringify(spec)).toBe(await throwsNotFitted(spec));
  }
  return new Set(specs.map((s) => s.type));
}

/** A model path that does not exist: a detector that loads it fails, but not with NotFittedError. */
const NO_MODEL = { model: '/nonexistent/botlens-model', offline: true };

describe('which detector specs need a fit', () => {
  registerNeedsFitDetector();

  it('the types whose detect() throws NotFittedError unfitted, before any model loads, declare it', async () => {
    const covered = await checkDeclarations([
      { type: 'heuristic' },
      { type: 'partner-contrast' },
      { type: 'embedding', embedder: 'hashing' },
      { type: 'linear-probe', ...NO_MODEL },
      { type: 'fewshot', ...NO_MODEL },
    ]);
    expect([...covered].sort()).toEqual([
      'embedding',
      'fewshot',
      'heuristic',
      'linear-probe',
      'partner-contrast',
    ]);
    // lora with the zoo default: an encoder base whose classification head fit() trains.
    expect(detectorNeedsFit({ type: 'lora' })).toBe(true);
    expect(detectorNeedsFit({ type: 'lora', model: 'org/classifier' })).toBe(false);
    for (const type of ['nli', 'perplexity', 'clip']) expect(detectorNeedsFit({ type }), type).toBe(false);
  });

  it('a type registered by the app declares it from its options', async () => {
    expect(await checkDeclarations([{ type: NEEDS_FIT_TYPE }, { type: NEEDS_FIT_TYPE, cutoff: 30 }])).toEqual(
      new Set([NEEDS_FIT_TYPE]),
    );
    expect(detectorNeedsFit({ type: NEEDS_FIT_TYPE })).toBe(true);
    expect(() => defineDetector({ ...needsFitDescriptor, needsFit: true as never })).toThrow(
      /needsFit.*expected a function of the parsed options/,
    );
  });

  it("names a member as it will be built (its type's default name, which may differ from the type) and refuses two of one name as createEnsemble does", async () => {
    registerRenamedNeedsFitDetector();
    // Named "cutoff" (its default) and "cutoff-length-renamed": two names, though one is the other's type.
    const distinct: EnsembleSpec = {
      detectors: [{ type: RENAMED_TYPE }, { type: RENAMED_TYPE, name: RENAMED_TYPE, cutoff: 30 }],
      strategy: 'weighted-mean',
    };
    const check = await unfittedPartsOnLoad(distinct);
    expect(check.parts).toEqual([
      { part: 'detector', index: 0, name: RENAMED_DEFAULT_NAME, type: RENAMED_TYPE },
    ]);
    await check.release();
    expect((await createEnsemble(distinct)).members.map((m) => m.name)).toEqual([
      RENAMED_DEFAULT_NAME,
      RENAMED_TYPE,
    ]);
    // Both named "cutoff": the one that takes the default name is not named by its type.
    const clash: EnsembleSpec = {
      detectors: [
        { type: RENAMED_TYPE, cutoff: 30 },
        { type: 'heuristic', name: RENAMED_DEFAULT_NAME },
      ],
      strategy: 'weighted-mean',
    };
    const refusal = `Invalid option "detectors": two detectors are named "${RENAMED_DEFAULT_NAME}": give one a different "name"`;
    await expect(unfittedPartsOnLoad(clash)).rejects.toThrow(refusal);
    await expect(createEnsemble(clash)).rejects.toThrow(refusal);
  });

  it('a needsFit that throws or returns no boolean is refused, naming the type, never read as true', () => {
    registerBadNeedsFitDetectors();
    const said: Record<keyof typeof BAD_NEEDS_FIT, string> = {
      'needs-fit-throws': 'needsFit threw "boom"; needsFit must return true or false synchronously',
      'needs-fit-promise': 'needsFit must return true or false synchronously, got Promise',
      'needs-fit-no': 'needsFit must return true or false synchronously, got "no"',
    };
    for (const [type, message] of Object.entries(said)) {
      const thrown = (() => {
        try {
          return unfittedParts({ strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }, { type }] });
        } catch (err) {
          return err;
        }
      })();
      expect(InvalidOptionsError.isInstance(thrown), type).toBe(true);
      expect((thrown as InvalidOptionsError).option).toBe('needsFit');
      expect((thrown as Error).message).toContain(`detector type "${type}": ${message}`);
    }
  });

  it('the strategy table says which unfitted ensembles throw NotFittedError', async () => {
    for (const strategy of Object.keys(STRATEGY_NEEDS_FIT) as EnsembleSpec['strategy'][]) {
      const ensemble = await createEnsemble({ strategy, detectors: [{ type: 'heuristic' }] });
      const thrown = await ensemble.detect(transcript).then(
        () => false,
        (err: unknown) => NotFittedError.isInstance(err),
      );
      expect(thrown, strategy).toBe(STRATEGY_NEEDS_FIT[strategy]);
      await ensemble.dispose();
    }
  });

  it('unfittedParts lists the strategy, then each member that needs a fit, and says why in one clause', () => {
    expect(unfittedParts({ strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] })).toEqual([]);
    const parts = unfittedParts({
      strategy: 'stacking',
      detectors: [
        { type: 'heuristic' },
        { type: 'partner-contrast', name: 'pc' },
        { type: 'embedding', embedder: 'hashing' },
      ],
    });
    expect(parts).toEqual([
      { part: 'strategy', strategy: 'stacking' },
      { part: 'detector', index: 1, name: 'pc', type: 'partner-contrast' },
      { part: 'detector', index: 2, name: 'embedding', type: 'embedding' },
    ]);
    expect(describeUnfitted(parts)).toBe(
      'the "stacking" strategy learns its combiner from labelled data, and detectors "pc" (partner-contrast), "embedding" have nothing to score with before they are fitted',
    );
    expect(
      describeUnfitted(unfittedParts({ strategy: 'cascade', detectors: [{ type: 'linear-probe' }] })),
    ).toBe('detector "linear-probe" has nothing to score with before it is fitted');
    // A bad spec is refused as createDetector refuses it, not passed as "scores unfitted".
    expect(() => unfittedParts({ strategy: 'cascade', detectors: [{ type: 'nope' }] })).toThrow(
      InvalidOptionsError,
    );
  });

  it("describeUnfitted gives the reason a member's model showed, naming the member when several need a fit", () => {
    const head = 'its model "m" has no classification head';
    const lora = { part: 'detector', type: 'lora', reason: head } as const;
    expect(describeUnfitted([{ ...lora, index: 0, name: 'lora' }])).toBe(
      `detector "lora" has nothing to score with before it is fitted: ${head}`,
    );
    expect(
      describeUnfitted([
        { part: 'detector', index: 0, name: 'embedding', type: 'embedding' },
        { ...lora, index: 1, name: 'big' },
      ]),
    ).toBe(
      `detectors "embedding", "big" (lora) have nothing to score with before they are fitted: for "big", ${head}`,
    );
  });
});

describeWithShared('which detector specs need a fit, with the tiny models', () => {
  it("every built-in type's declaration matches its detect() with a model that loads", async () => {
    const tiny = (name: string) => join(HF_TINY, name);
    const covered = await checkDeclarations([
      { type: 'heuristic' },
      { type: 'partner-contrast' },
      { type: 'nli', model: tiny('tiny-bert-nli') },
      { type: 'perplexity', model: tiny('tiny-gpt2') },
      { type: 'fewshot', model: tiny('tiny-gpt2') },
      { type: 'clip', model: tiny('tiny-clip') },
      { type: 'lora', model: tiny('tiny-bert-cls') },
      { type: 'embedding', model: tiny('tiny-bert') },
      { type: 'linear-probe', model: tiny('tiny-bert') },
    ]);
    // Every built-in type is checked against its detector.
    expect(covered).toEqual(new Set(DETECTOR_TYPES));
  }, 120_000);
});
