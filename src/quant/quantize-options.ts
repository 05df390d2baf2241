/**
 * The options and report of in-memory ONNX quantization (`quantizeOnnxModel`), shared by the folder-level
 * `quantize` and the node builders.
 *
 * @module
 */
import type { Int4BlockSize } from './int4.js';
import type { KeptNode } from './linear-sites.js';

/**
 * How 8-bit layers are written:
 * - `dynamic-matmul`: one `com.microsoft.DynamicQuantizeMatMul` node per layer (activations quantized to uint8
 *   on the fly, per-channel int8 weights pre-packed by ONNX Runtime, bias fused). ONNX Runtime only.
 * - `matmul-integer`: standard ONNX operators, the pattern of ONNX Runtime's `quantize_dynamic`
 *   (`DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul`), one `DynamicQuantizeLinear` per layer so that
 *   ONNX Runtime's optimizer can fuse each chain into `DynamicQuantizeMatMul` when the session is created.
 */
export type Int8Format = 'dynamic-matmul' | 'matmul-integer';

/** Options for `quantizeOnnxModel` (in memory): {@link QuantizeOptions} without the file handling. */
export type QuantizeModelOptions = Omit<
  QuantizeOptions,
  'files' | 'overwrite' | 'verify' | 'minCosine' | 'onWarning'
>;

/** Options for `quantize`: how the weights are quantized, and how the files are handled. */
export interface QuantizeOptions {
  /** 8: dynamic int8 quantization (`dtype: 'q8'`); 4: block-wise 4-bit weights through `MatMulNBits` (`dtype: 'q4'`). */
  bits: 8 | 4;
  /**
   * 4-bit only: input features per block (one scale, and zero point when asymmetric, per block).
   * @defaultValue 32
   */
  blockSize?: Int4BlockSize;
  /**
   * Symmetric weights (no zero points). ONNX Runtime recommends symmetric signed int8 weights for transformers.
   * @defaultValue true
   */
  symmetric?: boolean;
  /**
   * 8-bit only: one scale per output channel instead of one per matrix. More accurate at no cost in speed.
   * @defaultValue true
   */
  perChannel?: boolean;
  /**
   * Layers to keep in float32: module names (whole dotted segments, e.g. `'attention.self.query'`, `'layer.0'`),
   * node, weight or output names, or RegExps tested against those names. An entry that matches no layer (a typo,
   * a PyTorch parameter name ending in `.weight`) is refused with an InvalidOptionsError that lists the nearest
   * names, rather than keeping nothing.
   * @defaultValue []
   */
  exclude?: readonly (string | RegExp)[];
  /**
   * Also quantize layers that write a graph output directly (classifier, LM head, CLIP projection).
   * @defaultValue false
   */
  quantizeHead?: boolean;
  /**
   * Also store embedding tables (`Gather` of a float32 matrix) as int8 with one scale per hidden unit,
   * dequantized after the lookup. Tables shared with another layer (tied LM heads) stay float32.
   * @defaultValue false
   */
  quantizeEmbeddings?: boolean;
  /**
   * 8-bit only: the operators used; see {@link Int8Format}. Both run at the same speed in ONNX Runtime 1.30 (it
   * fuses the standard pattern at session creation); `matmul-integer` also loads in runtimes without
   * ONNX Runtime's contrib operators.
   * @defaultValue 'matmul-integer'
   */
  int8Format?: Int8Format;
  /**
   * 4-bit only: `MatMulNBits` `accuracy_level`: 0 leaves the choice to ONNX Runtime (float compute), 4 quantizes
   * activations to int8 and uses integer dot products (fast with AVX-512 VNNI / AVX-VNNI).
   * @defaultValue 4
   */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * 8-bit only: store the int8 weights in 7 bits (`[-64, 64]`) instead of the full range (`[-127, 127]`).
   *
   * The quantized layers run in ONNX Runtime's uint8 x int8 kernels (`MatMulInteger`, `DynamicQuantizeMatMul`,
   * `QAttention`). On x86-64 CPUs without VNNI (AVX2, or AVX-512 without VNNI) those kernels multiply with
   * `vpmaddubsw`, whose 16-bit sums of two products saturate with full-range weights (255 * 127 * 2 > 32767),
   * and the outputs drift far from float32 (output cosine ~0.97 instead of > 0.999 on a small MLP). 7-bit
   * weights cannot saturate there; they cost a little precision (half the levels) on machines that do not need
   * them. `'auto'` chooses for the machine running the quantizer: 7-bit on x86-64 without VNNI (read from
   * `/proc/cpuinfo` on Linux; on other x86 systems, where the flags cannot be read, 7-bit to be safe), full
   * range with AVX-512 VNNI / AVX-VNNI and on arm64. A full-range model run on a CPU without VNNI loses
   * accuracy: pass `true` when the model will run on machines you do not know. The choice is recorded in the
   * model's `botlens.quantization` metadata and in the report.
   * @defaultValue 'auto'
   */
  reduceRange?: boolean | 'auto';
  /** Cancels the work between layers. */
  signal?: AbortSignal;
  /**
   * File names under `onnx/` to quantize (e.g. `['model.onnx']`). Default: every float model there, i.e.
   * every `.onnx` file whose name carries no dtype suffix (`_quantized`, `_q4`, `_fp16`, ...).
   * @defaultValue undefined (all)
   */
  files?: readonly string[];
  /**
   * Replace an existing `model_quantized.onnx` / `model_q4.onnx`. Without it, an existing output is an error.
   * @defaultValue false
   */
  overwrite?: boolean;
  /**
   * Before writing, load the quantized model in ONNX Runtime and compare its outputs with the float model's on
   * synthetic inputs. A model that does not load is never written.
   * @defaultValue true
   */
  verify?: boolean;
  /**
   * Smallest output cosine (against float32) accepted without a warning when verifying.
   * @defaultValue 0.99
   */
  minCosine?: number;
  /**
   * Receives each warning (already-quantized input, unknown operators, low cosine).
   * @defaultValue prints to `console.warn`
   */
  onWarning?: (message: string) => void;
}

/** Whether 8-bit weights use 7 bits (see {@link QuantizeOptions.reduceRange}), and why. */
export interface ReduceRangeChoice {
  /** True for 7-bit weights (`[-64, 64]`), false for the full range (`[-127, 127]`). */
  reduceRange: boolean;
  /** Why, e.g. `auto: 7-bit weights, the CPU has no VNNI (...)`. */
  reason: string;
}

/** One layer that was quantized. */
export interface QuantizedLayer {
  /** Name of the original node. */
  node: string;
  /** The PyTorch module, when known. */
  module: string | undefined;
  /** Original operator (`MatMul`, `Gemm`, `Gather` for an embedding table, `Attention` for a fused block). */
  op: string;
  /** Weight shape as `[K, N]` (input, output features); `[rows, dim]` for an embedding table. */
  shape: [number, number];
}

/** What `quantizeOnnxModel` did. */
export interface ModelQuantizeReport {
  /**
   * `quantized` when at least one layer was rewritten; `already-quantized` when the model holds quantized
   * operators and was left untouched; `nothing-to-quantize` when no eligible layer was found.
   */
  status: 'quantized' | 'already-quantized' | 'nothing-to-quantize';
  /** The layers rewritten. */
  quantized: QuantizedLayer[];
  /** MatMul/Gemm (and other weight-bearing) nodes kept in float32, with the reason. */
  kept: KeptNode[];
  /** Things a person should know: unknown operators, an already-quantized model. */
  warnings: string[];
  /** Bytes of the float32 weights that were quantized. */
  bytesBefore: number;
  /** Bytes of the quantized weights, scales and zero points that replaced them. */
  bytesAfter: number;
  /** 8-bit: the weight range used and why; `undefined` for 4-bit. */
  reduceRange: ReduceRangeChoice | undefined;
}
