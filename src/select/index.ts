/**
 * `botlens/select`: choosing models. The model-selection checklist ({@link checkModel}: task, license, language,
 * memory, activity and security checks over what the Hugging Face Hub says about a model) and
 * {@link pullModel} to cache a model for offline use.
 *
 * @module botlens/select
 */

export type { HubAccessOptions } from '../hub/hub-options.js';
export { type PulledFile, type PullModelOptions, type PullResult, pullModel } from '../hub/pull-model.js';
export { type CheckModelOptions, checkModel } from './check-model.js';
export {
  CHECK_NAMES,
  type CheckName,
  type CheckStatus,
  type FactProblem,
  type ModelCheck,
  type ModelCheckReport,
} from './types.js';
export type { ModelChecklistOptions } from './validate-checklist-options.js';
