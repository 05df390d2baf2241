import type { DeepReadonly } from '../core/deep-readonly.js';
import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { EnsembleSpec } from './detector-spec.js';

/**
 * A named ensemble setting: the {@link EnsembleSpec} it builds, what it is for, and how it is meant to be fitted.
 *
 * @example
 * ```ts
 * const { description, spec } = ENSEMBLE_PRESETS.transfer;
 * ```
 */
export interface EnsemblePreset {
  /** One line for help texts: what the preset is for. */
  readonly description: string;
  /**
   * The ensemble it builds, read-only all the way down (the table is deep-frozen); {@link ensemblePresetSpec}
   * returns a copy of it to change.
   */
  readonly spec: DeepReadonly<EnsembleSpec>;
  /**
   * Whether the preset is meant to be fitted with `groups` (`ensemble.fit(examples, { groups })`, CLI
   * `--group-by FIELD`) naming each training example's population, when the training data mixes several: its
   * combiner then learns from out-of-fold scores of populations its members were not fitted on.
   */
  readonly groupedFit: boolean;
}

/** The names of the {@link ENSEMBLE_PRESETS}. */
export type EnsemblePresetName = 'transfer';

/** Freezes a plain value and everything in it, so a preset cannot be changed through the table. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const PRESET_ENTRIES = deepFreeze({
  transfer: {
    description:
      "for bots of a population not in the fitting data: heuristic (l2 10) + hashing embedding (rare buckets dropped) + partner-contrast (with the target's own repetition, synthetic human pairs, balanced classes), stacking without member features, prior 0.5; fit with --group-by FIELD when the data mixes populations",
    spec: {
      strategy: 'stacking',
      memberFeatures: false,
      prior: 0.5,
      detectors: [
        { type: 'heuristic', l2: 10 },
        {
          type: 'embedding',
          embedder: 'hashing',
          rareBuckets: { minConversations: 10, count: 'eachClass' },
        },
        {
          type: 'partner-contrast',
          targetSignals: ['near_repeat_mean'],
          humanPairs: 0.5,
          balanceClasses: true,
        },
      ],
    },
    groupedFit: true,
  },
} satisfies Record<EnsemblePresetName, EnsemblePreset>);

/**
 * The named ensemble settings, by the names `ensemblePresetSpec` and the CLI's `--preset` take.
 *
 * - `transfer`: the setting that held up best on bots of a population not in the fitting data (issue 11's
 *   leave-one-source-out on the ConvAI data; see "By-group combiner folds and a transfer setting" in
 *   docs/evaluation.md): a stacking ensemble of the heuristic (logistic weights at `l2: 10`), the hashing
 *   embedding without weight on hashed positions seen in fewer than 10 training conversations of either class
 *   (`rareBuckets: { minConversations: 10, count: 'eachClass' }`) and partner-contrast, which also weighs the
 *   target's own repetition (`targetSignals: ['near_repeat_mean']`) and is fitted with synthetic human–human
 *   pairs and balanced classes (`humanPairs: 0.5, balanceClasses: true`), its combiner without the members' named
 *   features (`memberFeatures: false`) and with no assumption about the new population's share of bots
 *   (`prior: 0.5`). Fit it with `groups` by population when the training data mixes several. Dev figures
 *   (F1 / AUROC): fitted on ConvAI 2017, scored on the ConvAI2 bots 0.845 / 0.962; fitted on ConvAI2 (grouped by
 *   source), scored on ConvAI 2017 0.762 / 0.938 (F1 short of 0.80); in domain 0.970 / 0.997 (after the 1st
 *   message 0.852, ECE 0.047), against 0.979 / 0.999 (0.894) for the default members. Needs no model download.
 *
 * @example
 * ```ts
 * Object.keys(ENSEMBLE_PRESETS); // ['transfer']
 * ENSEMBLE_PRESETS.transfer.spec.prior; // 0.5
 * ```
 */
export const ENSEMBLE_PRESETS: Readonly<Record<EnsemblePresetName, EnsemblePreset>> = PRESET_ENTRIES;

/**
 * The preset names, in table order.
 *
 * @example
 * ```ts
 * ENSEMBLE_PRESET_NAMES.join(', '); // 'transfer'
 * ```
 */
export const ENSEMBLE_PRESET_NAMES: readonly EnsemblePresetName[] = Object.freeze(
  Object.keys(PRESET_ENTRIES) as EnsemblePresetName[],
);

/**
 * Looks up a preset by name.
 *
 * @param name - an {@link ENSEMBLE_PRESETS} key
 * @param option - the option or flag that gave the name, for the error
 * @throws InvalidOptionsError naming `option` and listing the presets, for any other name
 * @internal
 */
export function ensemblePreset(name: unknown, option = 'preset'): EnsemblePreset {
  if (typeof name !== 'string' || !Object.hasOwn(PRESET_ENTRIES, name)) {
    throw new InvalidOptionsError(
      option,
      `got ${describeValue(name)}; use one of ${ENSEMBLE_PRESET_NAMES.join(', ')}`,
    );
  }
  return ENSEMBLE_PRESETS[name as EnsemblePresetName];
}

/**
 * The {@link EnsembleSpec} of a named preset, as a fresh copy the caller may change (give it a threshold, a
 * novelty guard, member prefix cuts). Build it with `createEnsemble`; fit it with `groups` when the preset's
 * {@link EnsemblePreset.groupedFit} says so and the training data mixes populations.
 *
 * @param name - an {@link ENSEMBLE_PRESETS} key
 * @returns a copy of the preset's spec
 * @throws InvalidOptionsError listing the presets, for an unknown name
 * @example
 * ```ts
 * const ensemble = await createEnsemble(ensemblePresetSpec('transfer'));
 * await ensemble.fit(train, { groups: train.map((r) => String(r.fields?.['source'])) });
 * ```
 */
export function ensemblePresetSpec(name: EnsemblePresetName): EnsembleSpec {
  return structuredClone(ensemblePreset(name).spec) as EnsembleSpec;
}
