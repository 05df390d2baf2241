/**
 * Every code a {@link BotlensError} can carry, in one list. Programs branch on `err.code`; the list is the
 * vocabulary, and {@link BotlensErrorCode} is derived from it.
 *
 * Codes of the subclasses: `ABORTED` ({@link AbortedError}), `ADAPTER_*` ({@link AdapterError}), `HUB`
 * ({@link HubError}), `IMAGE_LOAD` ({@link ImageLoadError}), `INVALID_OPTIONS` ({@link InvalidOptionsError}),
 * `INVALID_TRANSCRIPT` ({@link InvalidTranscriptError}), `MISSING_DEPENDENCY` ({@link MissingDependencyError}),
 * `MODEL_LOAD` ({@link ModelLoadError}), `NOT_FITTED` ({@link NotFittedError}), `QUEUE_FULL`
 * ({@link QueueFullError}), `TIMEOUT` ({@link DeadlineExceededError}). The others are thrown as a plain
 * `BotlensError`:
 * - `ALL_MEMBERS_FAILED`: every ensemble member failed, so there is nothing to combine;
 * - `ANN_UNAVAILABLE`: the approximate nearest-neighbour index could not be built (hnswlib-node missing);
 * - `BAD_DETECTION`: a detector returned something that is not a valid `Detection`;
 * - `CALIBRATION_UNMET`: no threshold reaches the calibration target;
 * - `CONFORMANCE_FAILED`: a detector failed the conformance suite;
 * - `DIMENSION_MISMATCH`: two vectors of different lengths were compared;
 * - `DISPOSED`: an object was used after `dispose()`;
 * - `DISPOSE_FAILED`: releasing a member's resources failed;
 * - `MEMBER_FAILED` / `MEMBER_FIT_FAILED`: an ensemble member failed while predicting / fitting;
 * - `ONNX_TENSOR` / `ONNX_TOO_LARGE`: an ONNX file holds a tensor botlens cannot read / is too large to edit;
 * - `QUANT_BROKEN` / `QUANT_OUTPUT_EXISTS` / `QUANT_WRITE`: a quantized model fails its check / would overwrite
 *   a file / cannot be written;
 * - `READ_FAILED`: a file (transcripts, a fitted detector, a config) cannot be read;
 * - `REDIS_UNREACHABLE`: a queue producer or worker cannot connect to its Redis (or Redis refused its credentials,
 *   or has no database of the URL's index), or a producer's Redis stopped answering, or lost the run's data, mid-run;
 * - `WORKER_DETECTOR_FAILED`: the workers of a scoring run (queue workers or worker threads) cannot build its
 *   detector (a detector type or package they lack, models they cannot find, a release too old).
 */
export const BOTLENS_ERROR_CODES = [
  'ABORTED',
  'ADAPTER_INVALID',
  'ADAPTER_MISMATCH',
  'ADAPTER_UNSUPPORTED',
  'ALL_MEMBERS_FAILED',
  'ANN_UNAVAILABLE',
  'BAD_DETECTION',
  'CALIBRATION_UNMET',
  'CONFORMANCE_FAILED',
  'DETECTOR_MISSING',
  'DIMENSION_MISMATCH',
  'DISPOSED',
  'DISPOSE_FAILED',
  'HUB',
  'IMAGE_LOAD',
  'INTEGRITY',
  'INVALID_LINE',
  'INVALID_OPTIONS',
  'INVALID_TRANSCRIPT',
  'MEMBER_FAILED',
  'MEMBER_FIT_FAILED',
  'MISSING_DEPENDENCY',
  'MODEL_LOAD',
  'NOT_FITTED',
  'ONNX_TENSOR',
  'ONNX_TOO_LARGE',
  'OPTIMIZE_OUTPUT_EXISTS',
  'QUANT_BROKEN',
  'QUANT_OUTPUT_EXISTS',
  'QUANT_WRITE',
  'QUEUE_FULL',
  'READ_FAILED',
  'REDIS_UNREACHABLE',
  'SERVICE_START',
  'TIMEOUT',
  'WORKER_DETECTOR_FAILED',
  'WORKER_ENTRY_MISSING',
  'WORKER_MISSING',
  'WRITE_FAILED',
] as const;

/** A stable machine-readable error code: one of {@link BOTLENS_ERROR_CODES}. */
export type BotlensErrorCode = (typeof BOTLENS_ERROR_CODES)[number];
