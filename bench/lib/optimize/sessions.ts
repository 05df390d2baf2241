/**
 * ONNX Runtime sessions and inputs for bench/optimize.ts: BERT feeds and GEMM-chain feeds of given batch shapes,
 * sessions on default or one thread, and the CPU time of running a list of batches.
 */
const ort = await import('onnxruntime-node');

/** One run's inputs. */
export type Feeds = Record<string, InstanceType<typeof ort.Tensor>>;

/** Session options for one intra-op thread that does not spin (CPU time then counts only work). */
export const ONE_THREAD = { intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } };

/**
 * An ONNX Runtime session on the model at `path`, warnings silenced.
 *
 * @param path - the `.onnx` file
 * @param opts - further session options
 */
export const session = (path: string, opts: Record<string, unknown> = {}) =>
  ort.InferenceSession.create(path, { logSeverityLevel: 3, ...opts });

/** BERT feeds for one batch: `rows` real lengths padded to the longest, pseudo-random ids. */
export function bertFeeds(rows: number[]): Feeds {
  const len = Math.max(...rows);
  const ids = new BigInt64Array(rows.length * len);
  const mask = new BigInt64Array(rows.length * len);
  rows.forEach((n, r) => {
    for (let t = 0; t < n; t++) {
      ids[r * len + t] = BigInt(5 + (((r + 1) * (t + 3) * 7919) % 1400));
      mask[r * len + t] = 1n;
    }
  });
  const dims = [rows.length, len];
  return {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(rows.length * len), dims),
  };
}

/**
 * Pseudo-random activations for a GEMM chain: `[texts * tokens, hidden]` (`flat`), else `[texts, tokens,
 * hidden]` with the attention chain's int32 mask for rows of `rows` real tokens each (padded to the longest).
 */
export function chainFeeds(rows: number[], flat: boolean, hidden: number): Feeds {
  const texts = rows.length;
  const tokens = Math.max(...rows);
  const data = Float32Array.from({ length: texts * tokens * hidden }, (_, i) => Math.sin(i));
  if (flat) return { x: new ort.Tensor('float32', data, [texts * tokens, hidden]) };
  const mask = new Int32Array(texts * tokens);
  for (const [r, n] of rows.entries()) mask.fill(1, r * tokens, r * tokens + n);
  return {
    x: new ort.Tensor('float32', data, [texts, tokens, hidden]),
    mask: new ort.Tensor('int32', mask, [texts, tokens]),
  };
}

/** Process CPU milliseconds to run `batches` through `s` once. */
export async function cpuMsOf(s: { run(feeds: Feeds): Promise<unknown> }, batches: Feeds[]): Promise<number> {
  const c = process.cpuUsage();
  for (const feeds of batches) await s.run(feeds);
  const used = process.cpuUsage(c);
  return (used.user + used.system) / 1000;
}
