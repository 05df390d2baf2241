import type { DetectOptions } from '../core/detector.js';

/**
 * Turns texts into fixed-size vectors. `TransformersEmbedder` (a transformer encoder) and `HashingEmbedder`
 * (feature hashing, no model) implement it; so can your own.
 *
 * @example
 * ```ts
 * const vecs = await embedder.embed(['hello there', 'how are you?']);
 * vecs.length; // 2
 * ```
 */
export interface Embedder {
  /** Identifies the embedder and its settings (saved with fitted state, checked on load). */
  readonly id: string;
  /** One vector per text, in order. Unit length unless the embedder documents otherwise. */
  embed(texts: string[], opts?: DetectOptions): Promise<Float32Array[]>;
  /** Frees any model held. */
  dispose?(): Promise<void>;
}
