import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { HF_TINY } from '../helpers/shared.js';

/** Goldens of the hf-tiny fixtures (PyTorch outputs on fixed inputs). */
export function goldens(): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(HF_TINY, 'goldens.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
}

const temps: string[] = [];

/** Copies fixture folders into a fresh temp folder (never write into /work/shared); returns the temp root. */
export function copyFixtures(...names: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'botlens-quant-'));
  temps.push(root);
  for (const n of names) cpSync(join(HF_TINY, n), join(root, n), { recursive: true });
  return root;
}

/** Removes the temp folders made by {@link copyFixtures}. */
export function cleanTemps(): void {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
}

/** How a batch of token ids is padded. */
export interface TextBatch {
  /** Token ids, one row per text, padded to one length. */
  ids: number[][];
  /** The padding id (masked out). */
  pad?: number;
  /** Token types (sentence pairs); zeros when absent. */
  tokenTypes?: number[][];
}

/** int64 feeds (ids, attention mask, token types) for the inputs a session names. */
export function textFeeds(batch: TextBatch, names: readonly string[]): Record<string, ort.Tensor> {
  const { ids, pad = 0 } = batch;
  const B = ids.length;
  const T = ids[0]!.length;
  const flat = ids.flat();
  const types = batch.tokenTypes ? batch.tokenTypes.flat() : new Array<number>(B * T).fill(0);
  const all: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(flat, (v) => BigInt(v)),
      [B, T],
    ),
    attention_mask: new ort.Tensor(
      'int64',
      BigInt64Array.from(flat, (v) => (v === pad ? 0n : 1n)),
      [B, T],
    ),
    token_type_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(types, (v) => BigInt(v)),
      [B, T],
    ),
  };
  const out: Record<string, ort.Tensor> = {};
  for (const n of names) if (all[n]) out[n] = all[n]!;
  return out;
}

/** Runs a model file (or bytes) once on a text batch and returns its first output as floats. */
export async function runFirstOutput(model: string | Uint8Array, batch: TextBatch): Promise<Float32Array> {
  const s =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  try {
    const out = await s.run(textFeeds(batch, s.inputNames));
    return out[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

/** Cosine similarity. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    x += a[i]! ** 2;
    y += b[i]! ** 2;
  }
  return d / Math.sqrt(x * y);
}

export { maxAbsDiff } from '../helpers/vectors.js';
