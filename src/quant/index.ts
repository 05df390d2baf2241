/**
 * `botlens/quant`: quantize transformers.js model folders to int8 (`dtype: 'q8'`) or 4-bit (`dtype: 'q4'`), and
 * run a quantized base with unmerged LoRA adapters. Every entry point works on folders; the ONNX graph types
 * stay internal. Memory estimates live in `botlens/select`.
 *
 * @example
 * ```ts
 * import { quantize } from 'botlens/quant';
 * const res = await quantize('models/minilm', { bits: 8 }); // writes models/minilm/onnx/model_quantized.onnx
 * ```
 *
 * @module botlens/quant
 */

export { QUANTIZED_DTYPES, type QuantizedDtype } from '../core/model-dtypes.js';
export { type AttachLoraOptions, type AttachLoraResult, attachLoraAdapter } from './attach-lora.js';
export type { Int4BlockSize } from './int4.js';
export type { KeptNode } from './linear-sites.js';
export type { LoraBranchInfo } from './lora-branch.js';
export {
  type OptimizedFile,
  type OptimizeFolderOptions,
  type OptimizeFolderResult,
  optimizeModelFolder,
} from './optimize/optimize-folder.js';
export {
  DEFAULT_OPTIMIZE_PASSES,
  OPTIMIZE_PASSES,
  type OptimizePass,
  type OptimizeReport,
} from './optimize/optimize-model.js';
export { type QuantizedFile, type QuantizeResult, quantize } from './quantize.js';
export type {
  Int8Format,
  ModelQuantizeReport,
  QuantizedLayer,
  QuantizeOptions,
  ReduceRangeChoice,
} from './quantize-options.js';
