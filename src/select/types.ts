import type { JsonValue } from '../core/json.js';
import type { ZooDetector } from '../zoo/model-zoo.js';

/** Outcome of one check: `pass`, `warn` (usable, but read the message), or `fail` (do not use as is). */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** The checks {@link checkModel} runs, in report order. */
export type CheckName = 'task' | 'language' | 'license' | 'memory' | 'activity' | 'security';

/** Every {@link CheckName}, in report order. */
export const CHECK_NAMES: readonly CheckName[] = Object.freeze([
  'task',
  'language',
  'license',
  'memory',
  'activity',
  'security',
]);

/**
 * One line of a model-selection report.
 *
 * @example
 * ```ts
 * const c: ModelCheck = {
 *   name: 'memory',
 *   status: 'pass',
 *   value: 1_950_000_000,
 *   rule: 'estimated memory <= 80% of the 4 GB budget (warn up to 100%)',
 *   message: 'Needs about 1.95 GB (weights 1.63 GB ...) of the 4 GB budget.',
 * };
 * ```
 */
export interface ModelCheck {
  /** Which check. */
  name: CheckName;
  /** Its outcome. */
  status: CheckStatus;
  /** What was measured (a pipeline tag, languages, a license id, bytes, counts...), `null` when unknown. */
  value: JsonValue;
  /** The rule applied, with its thresholds. */
  rule: string;
  /** One or two sentences: what was found and, when not `pass`, what to do. */
  message: string;
}

/** What {@link checkModel} returns. */
export interface ModelCheckReport {
  /** The hub repo id, as the hub spells it. */
  id: string;
  /** The commit the hub resolved the revision to, when it said. */
  sha: string | undefined;
  /** The detector the model was checked for. */
  task: ZooDetector;
  /** The worst status among the checks. */
  verdict: CheckStatus;
  /** One item per check, in the order of {@link CHECK_NAMES}. */
  checks: ModelCheck[];
  /** Hub sources that could not be read (a gated file, a missing scan); the checks that needed them say so. */
  problems: FactProblem[];
}

/** One file of a hub repo. */
export interface HubFile {
  /** Path inside the repo, e.g. `onnx/model_quantized.onnx`. */
  path: string;
  /** Size in bytes (the real size for LFS files), `undefined` when only the name is known. */
  size: number | undefined;
}

/** One file the hub's security scanners flagged. */
export interface FlaggedFile {
  /** Path inside the repo. */
  path: string;
  /** The scanners' level, e.g. `unsafe` or `caution`. */
  level: string;
}

/** The hub's repo-level security scan (`securityRepoStatus`). */
export interface RepoSecurityStatus {
  /** Whether every file has been scanned. Until then the status is unknown, not safe. */
  scansDone: boolean;
  /** Files with findings. */
  filesWithIssues: FlaggedFile[];
}

/** License and languages read from a model's base model card (`base_model` in the card metadata). */
export interface BaseModelCard {
  /** The base model's repo id. */
  id: string;
  /** License ids from its card metadata or `license:` tags. */
  licenses: string[];
  /** `license_name` when the license is `other`. */
  licenseName: string | undefined;
  /** Languages from its card metadata or language tags. */
  languages: string[];
}

/** A hub source that could not be read; the checks that needed it say "unknown". */
export interface FactProblem {
  /** Which source failed. */
  source: 'files' | 'config' | 'safetensors' | 'security' | 'base-model';
  /** Why, in one sentence. */
  message: string;
}

/** A model's parameter count, as {@link ModelFacts.parameters}. */
export interface ParameterCount {
  /** All parameters, summed over dtypes. */
  total: number;
  /** Parameters per safetensors dtype, e.g. `{ F32: 109482240 }`. */
  byDtype: Record<string, number>;
  /** Read from the safetensors headers (Range requests) or from the hub's `safetensors` summary. */
  source: 'safetensors-header' | 'hub-summary';
}

/**
 * Everything `fetchModelFacts` learned about a model from the hub. The checks are pure functions of this,
 * so they can be run (and tested) on facts built by hand.
 */
export interface ModelFacts {
  /** Repo id as the hub spells it. */
  id: string;
  /** Commit sha of the revision read. */
  sha: string | undefined;
  /** The hub's pipeline tag. */
  pipelineTag: string | undefined;
  /** The card's `library_name`. */
  libraryName: string | undefined;
  /** The repo's tags (`license:mit`, `en`, `onnx`, ...). */
  tags: string[];
  /** The model card's YAML metadata. */
  cardData: Record<string, unknown>;
  /** Gating: `false`, `auto` (approved on request) or `manual` (approved by the authors). */
  gated: false | 'auto' | 'manual';
  /** A private repo. */
  private: boolean;
  /** A repo the hub has disabled. */
  disabled: boolean;
  /** Downloads over the last 30 days. */
  downloads: number;
  /** Likes. */
  likes: number;
  /** Last commit date. */
  lastModified: Date | undefined;
  /** The hub's summary of `config.json` (`architectures`, `model_type`); readable even for gated repos. */
  hubConfig: Record<string, unknown> | undefined;
  /** The full `config.json`, when it could be downloaded. */
  config: Record<string, unknown> | undefined;
  /** The repo's files with sizes (from the tree API), or names only (from `siblings`) when the tree failed. */
  files: HubFile[] | undefined;
  /** Parameter counts per safetensors dtype (`F32`, `BF16`...) and where they came from. */
  parameters: ParameterCount | undefined;
  /** The hub's security scan, when the API gave one. */
  security: RepoSecurityStatus | undefined;
  /** License and languages of the base model, read when the card declares none of its own. */
  baseModel: BaseModelCard | undefined;
  /** Sources that could not be read. */
  problems: FactProblem[];
}
