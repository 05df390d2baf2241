import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { MODEL_DTYPES, type ModelDtype } from '../runtime/model-options.js';
import { ZOO_DETECTORS, type ZooDetector } from '../zoo/model-zoo.js';
import { parseByteSize } from './parse-byte-size.js';

/** The checklist's settings, without the hub connection (see {@link CheckModelOptions} for the full set). */
export interface ModelChecklistOptions {
  /** The detector that will use the model. */
  task: ZooDetector;
  /** Memory the model may use: bytes, or a size such as `'4GB'`, `'512MB'` or `'2GiB'`. */
  memoryBudget: number | string;
  /**
   * The ONNX weight variant the detector will load.
   * @defaultValue 'fp32' (what transformers.js loads on the CPU unless told otherwise)
   */
  dtype?: ModelDtype;
  /**
   * Transcripts scored together, for the memory estimate.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Tokens per input, for the memory estimate; capped at the model's maximum positions.
   * @defaultValue 512
   */
  sequenceLength?: number;
  /**
   * Languages the transcripts are in, as ISO 639-1 codes (`en`, `de`) or BCP 47 tags (`pt-BR`: only `pt` is
   * compared).
   * @defaultValue [] (no requirement)
   */
  languages?: readonly string[];
  /**
   * Hub license ids you accept (case does not matter). Listing a non-commercial or conditional license here makes it
   * pass instead of warn.
   * @defaultValue `DEFAULT_ALLOWED_LICENSES` (permissive licenses)
   */
  allowLicenses?: readonly string[];
  /**
   * Fewest downloads over the last 30 days (the hub's `downloads`) before the check warns.
   * @defaultValue 1000
   */
  minDownloads?: number;
  /**
   * Fewest likes before the check warns.
   * @defaultValue 0
   */
  minLikes?: number;
  /**
   * Most months since the last commit before the check warns.
   * @defaultValue 24
   */
  maxMonthsSinceUpdate?: number;
  /**
   * The current time (for reproducible reports).
   * @defaultValue new Date()
   */
  now?: Date;
  /**
   * Accept pickle-only weights (`.bin`, `.pt`, `.pth`, `.ckpt`, `.pkl`) with a warning instead of failing.
   * Loading a pickle can run arbitrary code.
   * @defaultValue false
   */
  allowPickle?: boolean;
}
/**
 * Checks a {@link ModelChecklistOptions} object before any request is made, so mistakes surface at once.
 *
 * @param options - the settings to check
 * @throws InvalidOptionsError naming the first bad field
 * @example
 * ```ts
 * validateChecklistOptions({ task: 'nli', memoryBudget: '2GB' }); // ok
 * validateChecklistOptions({ task: 'ner' as ZooDetector, memoryBudget: '2GB' }); // throws: use one of nli, ...
 * ```
 */
export function validateChecklistOptions(options: ModelChecklistOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError(
      'options',
      'expected an object such as { task: "nli", memoryBudget: "2GB" }',
    );
  }
  if (!ZOO_DETECTORS.includes(options.task)) {
    throw new InvalidOptionsError(
      'task',
      `got ${describeValue(options.task)}; use one of ${ZOO_DETECTORS.join(', ')}`,
    );
  }
  parseByteSize(options.memoryBudget, 'memoryBudget');
  if (options.dtype !== undefined && !MODEL_DTYPES.includes(options.dtype)) {
    throw new InvalidOptionsError(
      'dtype',
      `got ${describeValue(options.dtype)}; use one of ${MODEL_DTYPES.join(', ')}`,
    );
  }
  if (options.languages !== undefined && !Array.isArray(options.languages)) {
    throw new InvalidOptionsError('languages', 'expected a list of language codes such as ["en", "de"]');
  }
  if (options.now !== undefined && !(options.now instanceof Date && Number.isFinite(options.now.getTime()))) {
    throw new InvalidOptionsError('now', 'expected a valid Date');
  }
  for (const key of ['minDownloads', 'minLikes', 'maxMonthsSinceUpdate'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
      throw new InvalidOptionsError(key, `expected a number >= 0, got ${describeValue(v)}`);
    }
  }
  if (
    options.allowLicenses !== undefined &&
    (!Array.isArray(options.allowLicenses) || options.allowLicenses.some((l) => typeof l !== 'string'))
  ) {
    throw new InvalidOptionsError(
      'allowLicenses',
      'expected a list of hub license ids such as ["mit", "apache-2.0"]',
    );
  }
  for (const key of ['batchSize', 'sequenceLength'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
      throw new InvalidOptionsError(key, `expected an integer >= 1, got ${describeValue(v)}`);
    }
  }
}
