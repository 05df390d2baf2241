/**
 * One model-loading event, for progress bars. The events of one file come in the order
 * `initiate`, `download`, `progress` (zero or more), `done`; `ready` comes once when the model can run, or `failed`
 * once when it cannot (its load threw: the error reaches the caller that loads it).
 * Files read from a local folder or the cache also pass through `download`/`done` (nothing is fetched then).
 *
 * @example
 * ```ts
 * const onProgress = (p: LoadProgress) => {
 *   if (p.status === 'progress') console.log(`${p.file}: ${p.progress?.toFixed(0)}%`);
 * };
 * ```
 */
export interface LoadProgress {
  /** What happened. */
  status: 'initiate' | 'download' | 'progress' | 'done' | 'ready' | 'failed';
  /** The file concerned, relative to the model folder (e.g. `onnx/model.onnx`); absent for `ready` and `failed`. */
  file?: string;
  /** Percentage of `file` read so far (0-100), on `progress` events. */
  progress?: number;
  /** Bytes of `file` read so far, on `progress` events. */
  loaded?: number;
  /** Size of `file` in bytes when known, on `progress` events. */
  total?: number;
  /** The model id or folder being loaded. */
  model: string;
}
