import type { LoadProgress } from '../runtime/model-options.js';
import { createLoadProgressBar, type LoadProgressBar } from './progress-bar.js';

/**
 * The model-loading progress bar of `detect`, `eval`, `fit` and `score`: drawn on standard error only when it is a
 * terminal and `--quiet` (for `score`, `--no-progress`) is not given; otherwise `undefined` (nothing to pass,
 * nothing drawn).
 *
 * @param quiet - the command's `--quiet` flag (`score`: true for `--no-progress`)
 */
export function loadProgressFor(quiet: boolean | undefined): LoadProgressBar | undefined {
  if (quiet || process.stderr.isTTY !== true) return undefined;
  return createLoadProgressBar();
}

/** The `onProgress` of a bar from {@link loadProgressFor}, as {@link detectorFromFlags} options. */
export function loadProgressOptions(bar: LoadProgressBar | undefined): {
  onProgress?: (p: LoadProgress) => void;
} {
  return bar ? { onProgress: bar.onProgress } : {};
}
