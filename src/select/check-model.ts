import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { HubAccessOptions } from '../hub/hub-options.js';
import { HUB_ACCESS_OPTION_KEYS } from '../hub/hub-options.js';
import { fetchModelFacts } from './fetch-model-facts.js';
import { runModelChecks } from './run-model-checks.js';
import type { ModelCheckReport } from './types.js';
import { type ModelChecklistOptions, validateChecklistOptions } from './validate-checklist-options.js';

/** Options for {@link checkModel}: the checklist's settings plus how to reach the hub. */
export interface CheckModelOptions extends ModelChecklistOptions, HubAccessOptions {}

const CHECK_MODEL_OPTION_KEYS: OptionKeys<CheckModelOptions> = {
  ...HUB_ACCESS_OPTION_KEYS,
  task: true,
  memoryBudget: true,
  dtype: true,
  batchSize: true,
  sequenceLength: true,
  languages: true,
  allowLicenses: true,
  minDownloads: true,
  minLikes: true,
  maxMonthsSinceUpdate: true,
  now: true,
  allowPickle: true,
};

/**
 * The model-selection checklist: reads a model from the Hugging Face Hub and checks that it fits a botlens
 * detector. One item per check, each with a status (`pass`, `warn`, `fail`), the measured value, the rule and a
 * sentence, plus an overall verdict (the worst status):
 *
 * - `task`: the pipeline tag and architecture fit the detector, and transformers.js can load ONNX weights of the
 *   dtype from `onnx/`;
 * - `language`: the card's languages include the requested ones;
 * - `license`: in the allow-list; non-commercial, conditional and custom licenses warn;
 * - `memory`: the estimated inference memory (weights, activations, KV cache, overhead) against the budget;
 * - `activity`: downloads, likes and the last commit against thresholds;
 * - `security`: safetensors or ONNX weights, the hub's scan, gating.
 *
 * Importing botlens does not load `@huggingface/hub`; it is imported when this runs.
 *
 * @param id - hub repo id, e.g. `Xenova/bart-large-mnli`
 * @param options - the detector, the budget, the rules' thresholds and the hub connection
 * @throws InvalidOptionsError for a bad option (before any request)
 * @throws HubError when the model info cannot be read (not found, gated, rate limited, down, malformed)
 * @throws AbortedError when `signal` aborts
 * @example
 * ```ts
 * import { checkModel } from 'botlens/select';
 * const report = await checkModel('Xenova/bart-large-mnli', { task: 'nli', memoryBudget: '2GB', dtype: 'q8' });
 * for (const c of report.checks) console.log(c.status, c.name, c.message);
 * report.verdict; // 'pass'
 * ```
 */
export async function checkModel(id: string, options: CheckModelOptions): Promise<ModelCheckReport> {
  refuseUnknownKeys(options, CHECK_MODEL_OPTION_KEYS, 'the options of checkModel()');
  validateChecklistOptions(options);
  const facts = await fetchModelFacts(id, options);
  return runModelChecks(facts, options);
}
