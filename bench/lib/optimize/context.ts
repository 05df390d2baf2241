/**
 * What every part of bench/optimize.ts reads: the model folders it built, the encoder's sizes, the texts and the
 * run settings.
 */
import type { EncoderShape } from '../gemm-chain.js';

/** The model folders the bench builds in its work folder (each also quantized to q8). */
export interface BenchModels {
  /** A copy of the bench encoder (`onnx/model.onnx`, `onnx/model_quantized.onnx`). */
  original: string;
  /** `botlens optimize` with the default passes. */
  optimized: string;
  /** `botlens optimize` with the previous default passes (SkipLayerNormalization, BiasGelu). */
  withSkipLn: string;
  /** A stand-in graph that only looks up the token embeddings: the embedder's own cost. */
  standIn: string;
}

/** The bench's settings and what it built. */
export interface OptimizeBench {
  /** The temporary folder everything is written to. */
  work: string;
  models: BenchModels;
  /** The encoder's sizes, for the GEMM chains. */
  shape: EncoderShape & { heads: number };
  /** The texts embedded. */
  input: string[];
  /** Interleaved rounds per measurement. */
  rounds: number;
  /** Texts per batch. */
  batch: number;
}
