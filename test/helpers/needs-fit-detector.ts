import { z } from 'zod';
import { nowMs, scored } from '../../src/core/detection.js';
import type { Detection, Detector, DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { targetMessages, validateTranscript } from '../../src/core/validate.js';
import { defineDetector } from '../../src/detectors/descriptor.js';
import { registerDetector, registeredDetectorTypes } from '../../src/detectors/detector-registry.js';
import { NotFittedError } from '../../src/errors/not-fitted-error.js';

/** The type {@link needsFitDescriptor} registers. */
export const NEEDS_FIT_TYPE = 'cutoff-length';

const options = z.strictObject({
  name: z.string().min(1).default(NEEDS_FIT_TYPE),
  threshold: z.number().min(0).max(1).default(0.5),
  /** A hand-set cutoff (mean message length): given, the detector scores unfitted. */
  cutoff: z.number().positive().optional(),
});

/**
 * A detector an app adds that has nothing to score with until `fit()` learns its cutoff (the mean length of the
 * targets' messages), unless the spec sets `cutoff`.
 */
class CutoffLengthDetector implements Detector {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  cutoff: number | undefined;
  constructor(private readonly o: z.output<typeof options>) {
    this.name = o.name;
    this.cutoff = o.cutoff;
  }
  async detect(t: Transcript): Promise<Detection> {
    const started = nowMs();
    if (this.cutoff === undefined) throw new NotFittedError(this.name, 'call fit(examples) first');
    const mine = targetMessages(validateTranscript(t));
    const mean = mine.reduce((s, m) => s + m.text.length, 0) / Math.max(1, mine.length);
    return scored(this.name, 1 / (1 + Math.exp(0.1 * (this.cutoff - mean))), this.o.threshold, [], started);
  }
  /** Learns the cutoff: the mean length of the targets' messages in the examples. */
  async fit(examples: LabelledTranscript[]): Promise<void> {
    const lengths = examples.flatMap((e) => targetMessages(validateTranscript(e)).map((m) => m.text.length));
    this.cutoff = lengths.reduce((sum, n) => sum + n, 0) / Math.max(1, lengths.length);
  }
  toJSON(): DetectorState {
    const { name, threshold } = this.o;
    return {
      kind: NEEDS_FIT_TYPE,
      version: 1,
      name,
      threshold,
      ...(this.cutoff !== undefined && { cutoff: this.cutoff }),
    };
  }
}

/** The descriptor: it declares that it needs a fit unless its spec sets `cutoff`. */
export const needsFitDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: NEEDS_FIT_TYPE,
  description: 'long messages look like a bot, past a cutoff learned by fit()',
  optionsSchema: options,
  stateVersion: 1,
  needsFit: (o) => o.cutoff === undefined,
  create: (o) => new CutoffLengthDetector(o),
  restore(state) {
    const { kind: _k, version: _v, ...rest } = state;
    return new CutoffLengthDetector(options.parse(rest));
  },
});

/** Registers {@link needsFitDescriptor} once per process. */
export function registerNeedsFitDetector(): void {
  if (!registeredDetectorTypes().includes(NEEDS_FIT_TYPE)) registerDetector(needsFitDescriptor);
}

/**
 * Types an app might register with a broken `needsFit`, by what it does: throws, returns a Promise, returns `'no'`.
 * Each is {@link needsFitDescriptor} under another type name.
 */
export const BAD_NEEDS_FIT = {
  'needs-fit-throws': () => {
    throw new Error('boom');
  },
  'needs-fit-promise': async () => false,
  'needs-fit-no': () => 'no',
} as const;

/** Registers the {@link BAD_NEEDS_FIT} types once per process. */
export function registerBadNeedsFitDetectors(): void {
  for (const [type, needsFit] of Object.entries(BAD_NEEDS_FIT)) {
    if (registeredDetectorTypes().includes(type)) continue;
    registerDetector(
      defineDetector({
        ...needsFitDescriptor,
        type,
        optionsSchema: options.extend({ name: z.string().min(1).default(type) }),
        needsFit: needsFit as unknown as (o: z.output<typeof options>) => boolean,
      }),
    );
  }
}

/** A type registered by {@link registerRenamedNeedsFitDetector}: {@link needsFitDescriptor} whose default name is not its type. */
export const RENAMED_TYPE = 'cutoff-length-renamed';
/** The default name of {@link RENAMED_TYPE}'s detectors. */
export const RENAMED_DEFAULT_NAME = 'cutoff';

/** Registers {@link RENAMED_TYPE} once per process. */
export function registerRenamedNeedsFitDetector(): void {
  if (registeredDetectorTypes().includes(RENAMED_TYPE)) return;
  registerDetector(
    defineDetector({
      ...needsFitDescriptor,
      type: RENAMED_TYPE,
      optionsSchema: options.extend({ name: z.string().min(1).default(RENAMED_DEFAULT_NAME) }),
    }),
  );
}
