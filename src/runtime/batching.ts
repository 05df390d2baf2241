import { describeValue } from '../core/describe-value.js';
import type { OptionKeys } from '../core/refuse-unknown-keys.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** Options for `planBatches` and `mapInBatches`. */
export interface BatchPlanOptions {
  /**
   * Most items per batch.
   * @defaultValue 32
   */
  batchSize?: number;
  /**
   * Most padded tokens per batch (items x longest item). Keeps memory bounded when texts are long: a batch of
   * 512-token texts gets fewer items than a batch of 20-token texts.
   * @defaultValue 16384
   */
  maxBatchTokens?: number;
}

/** Every key of {@link BatchPlanOptions}, for the options checks of the classes whose options extend it. @internal */
export const BATCH_PLAN_OPTION_KEYS: OptionKeys<BatchPlanOptions> = { batchSize: true, maxBatchTokens: true };

/** Default {@link BatchPlanOptions.batchSize}. */
export const DEFAULT_BATCH_SIZE = 32;
/** Default {@link BatchPlanOptions.maxBatchTokens}. */
export const DEFAULT_MAX_BATCH_TOKENS = 16_384;

/**
 * Checks a batch size option.
 *
 * @param name - the option's name, for the message
 * @param value - the value given
 * @throws InvalidOptionsError unless it is an integer from 1 to 4096
 */
export function checkBatchSize(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= 4096)) {
    throw new InvalidOptionsError(name, `expected an integer from 1 to 4096, got ${describeValue(value)}`);
  }
}

/**
 * Groups items into batches of similar length so little padding is wasted: indices are sorted by length
 * (longest first, ties in input order) and cut into runs of at most `batchSize` items and `maxBatchTokens`
 * padded tokens. Where the cuts go is chosen to minimise the padded tokens run (items x longest item, summed
 * over batches) plus a fixed cost of `batchSize` tokens per batch, so a few long outliers get a batch of their
 * own instead of padding a full batch to their length, while batches of similar lengths are not split up for
 * nothing (one run of a small encoder costs about as much as ten of its tokens). Every index appears exactly
 * once.
 *
 * @param lengths - the length (in tokens) of each item
 * @param options - batch size and token budget
 * @returns batches of indices into `lengths`
 *
 * @example
 * ```ts
 * planBatches([3, 50, 4, 48], { batchSize: 2 }); // [[1, 3], [2, 0]]
 * ```
 */
export function planBatches(lengths: readonly number[], options: BatchPlanOptions = {}): number[][] {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxTokens = options.maxBatchTokens ?? DEFAULT_MAX_BATCH_TOKENS;
  checkBatchSize('batchSize', batchSize);
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1)) {
    throw new InvalidOptionsError(
      'maxBatchTokens',
      `expected a positive integer, got ${describeValue(maxTokens)}`,
    );
  }
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const len = order.map((i) => Math.max(1, lengths[i]!));
  const n = order.length;
  // Shortest-path over cut positions (written by hand: a dozen lines, no library does this): cost[j] is the
  // least cost of batching the j longest items; a batch of sorted items i..j-1 pads to len[i]. Ties go to fewer
  // batches, then to the shorter last batch, so earlier (longer) batches fill first, as a greedy cut would.
  const cost = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const count = new Int32Array(n + 1); // batches on the best path: fewer wins a tie
  const cutAt = new Int32Array(n + 1);
  cost[0] = 0;
  for (let j = 1; j <= n; j++) {
    for (let i = j - 1; i >= Math.max(0, j - batchSize); i--) {
      const size = j - i;
      if (size > 1 && size * len[i]! > maxTokens) break; // longer runs only pad more
      const c = cost[i]! + size * len[i]! + batchSize;
      if (c < cost[j]! || (c === cost[j]! && count[i]! + 1 < count[j]!)) {
        cost[j] = c;
        count[j] = count[i]! + 1;
        cutAt[j] = i;
      }
    }
  }
  const batches: number[][] = [];
  for (let j = n; j > 0; j = cutAt[j]!) batches.push(order.slice(cutAt[j]!, j));
  return batches.reverse();
}

/**
 * Runs `run` over batches planned by `planBatches` and returns the results in the original order.
 * Checks `signal` before each batch.
 *
 * @param lengths - the length of each item
 * @param run - computes the results for one batch of indices (one result per index, same order)
 * @param options - batch size, token budget and an abort signal
 * @throws AbortedError when `signal` aborts between batches
 *
 * @example
 * ```ts
 * const out = await mapInBatches([5, 1, 3], async (idx) => idx.map((i) => i * 10), { batchSize: 2 });
 * out; // [0, 10, 20]
 * ```
 */
export async function mapInBatches<R>(
  lengths: readonly number[],
  run: (indices: number[]) => Promise<R[]>,
  options: BatchPlanOptions & { signal?: AbortSignal | undefined; what?: string } = {},
): Promise<R[]> {
  const out = new Array<R>(lengths.length);
  for (const batch of planBatches(lengths, options)) {
    AbortedError.throwIfAborted(options.signal, options.what ?? 'inference');
    const results = await run(batch);
    if (results.length !== batch.length) {
      throw new Error(`botlens internal error: a batch of ${batch.length} gave ${results.length} results`);
    }
    for (let j = 0; j < batch.length; j++) out[batch[j]!] = results[j]!;
  }
  AbortedError.throwIfAborted(options.signal, options.what ?? 'inference');
  return out;
}

/** The batching options a model-backed detector saves with its state (with the scorer's `maxLength`). */
export const SAVED_BATCH_KEYS = ['batchSize', 'maxBatchTokens', 'maxLength'] as const;
