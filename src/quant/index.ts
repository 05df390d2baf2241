/**
 * `botlens/quant`: quantize transformers.js model folders to int8 (`dtype: 'q8'`) or 4-bit (`dtype: 'q4'`),
 * run a quantized base with unmerged LoRA adapters, and estimate model memory.
 *
 * @example
 * ```ts
 * import { quantize } from 'botlens/quant';
 * const res = await quantize('models/minilm', { bits: 8 }); // writes models/minilm/onnx/model_quantized.onnx
 * ```
 *
 * @module botlens/quant
 */

export { type AttachLoraOptions, type AttachLoraResult, attachLoraAdapter } from './attach-lora.js';
export {
  dequantizeInt4Blockwise,
  type Int4BlockSize,
  type Int4BlockwiseWeight,
  type Int4QuantizeOptions,
  int4ByteSize,
  quantizeInt4Blockwise,
} from './int4.js';
export {
  dequantizeInt8,
  type Int8QuantizeOptions,
  type Int8Tensor,
  type Int8Type,
  quantizeInt8,
} from './int8.js';
export type { KeptNode } from './linear-sites.js';
export {
  addLoraSideBranches,
  type LoraBranchInfo,
  type LoraFeed,
  type LoraSideBranchOptions,
  type LoraSideBranchReport,
} from './lora-branch.js';
export {
  type ActivationOptions,
  activationBytes,
  activationBytesPerValue,
  type BytesPerParameterOptions,
  bytesPerParameter,
  estimateMemory,
  type KvCacheOptions,
  kvCacheBytes,
  type LogitsOptions,
  logitsBytes,
  type MemoryEstimate,
  type MemoryEstimateOptions,
  type ModelDimensions,
  modelDimensionsFromConfig,
  WEIGHT_DTYPES,
  type WeightDtype,
} from './memory-estimate.js';
export {
  DTYPE_SUFFIXES,
  isFloatModelFile,
  type QuantizedFile,
  type QuantizeOptions,
  type QuantizeResult,
  quantize,
  quantizedFileName,
  type TransformersDtype,
} from './quantize.js';
export {
  alreadyQuantized,
  type Int8Format,
  type ModelQuantizeReport,
  QUANT_METADATA_KEY,
  type QuantizedLayer,
  type QuantizeModelOptions,
  quantizeOnnxModel,
} from './quantize-model.js';
export {
  type CompareOptions,
  compareModels,
  cosineSimilarity,
  type SpecialTokens,
  type SyntheticInput,
  type VerifyResult,
} from './verify.js';
