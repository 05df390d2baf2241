/**
 * `botlens/select`: choosing models. The model-selection checklist ({@link checkModel}), its building blocks
 * (hub facts, the six checks, the retrying hub fetch), and {@link pullModel} to cache a model for offline use.
 *
 * @module botlens/select
 */
export { HubError, type HubErrorDetails, type HubErrorKind } from '../errors/hub-error.js';
export { cardLanguages } from './card-languages.js';
export { cardLicenses } from './card-licenses.js';
export { type CheckActivityOptions, checkActivity } from './check-activity.js';
export { type CheckLanguageOptions, checkLanguage } from './check-language.js';
export { type CheckLicenseOptions, checkLicense } from './check-license.js';
export { type CheckMemoryOptions, checkMemory } from './check-memory.js';
export { type CheckModelOptions, checkModel } from './check-model.js';
export { type CheckSecurityOptions, checkSecurity } from './check-security.js';
export { type CheckTaskOptions, checkTask } from './check-task.js';
export { fetchModelFacts } from './fetch-model-facts.js';
export { formatBytes } from './format-bytes.js';
export { createHubFetch, type HubFetchOptions } from './hub-fetch.js';
export { type HubAccessOptions, type ResolvedHubAccess, resolveHubAccess } from './hub-options.js';
export { classifyLicense, DEFAULT_ALLOWED_LICENSES, type LicenseClass } from './license-policy.js';
export { ONNX_DTYPE_SUFFIX, type OnnxWeightFiles, onnxWeightFiles } from './onnx-weight-files.js';
export { parseByteSize } from './parse-byte-size.js';
export { type PulledFile, type PullModelOptions, type PullResult, pullModel } from './pull-model.js';
export { runModelChecks } from './run-model-checks.js';
export { type HubErrorContext, toHubError } from './to-hub-error.js';
export {
  type BaseModelCard,
  CHECK_NAMES,
  type CheckName,
  type CheckStatus,
  type FactProblem,
  type FlaggedFile,
  type HubFile,
  type ModelCheck,
  type ModelCheckReport,
  type ModelFacts,
  type ParameterCount,
  type RepoSecurityStatus,
} from './types.js';
export { type ModelChecklistOptions, validateChecklistOptions } from './validate-checklist-options.js';
export { worstStatus } from './worst-status.js';
