/**
 * The weight variants (dtypes) of a transformers.js model folder and the file names they select: the one
 * vocabulary read by model loading, the model checklist, quantization, the zoo, the CLI and option validation.
 */

/**
 * Every dtype transformers.js knows, with the suffix it adds to an ONNX file's name
 * (`onnx/model<suffix>.onnx`): `''` for fp32, `'_quantized'` for q8, `'_q4'` for q4, and so on.
 */
export const DTYPE_FILE_SUFFIXES = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
  q2: '_q2',
  q2f16: '_q2f16',
  q1: '_q1',
  q1f16: '_q1f16',
} as const);

/** A dtype transformers.js knows: a key of {@link DTYPE_FILE_SUFFIXES}. */
export type TransformersDtype = keyof typeof DTYPE_FILE_SUFFIXES;

/** Every {@link ModelDtype}, in the order the CLI lists them: full precision, half precision, int8, 4-bit. */
export const MODEL_DTYPES = Object.freeze(['fp32', 'fp16', 'q8', 'q4'] as const);

/**
 * ONNX weight variant to load: one of {@link MODEL_DTYPES}. Each one is a file in the model's `onnx/` folder:
 * `fp32` = `model.onnx`, `fp16` = `model_fp16.onnx`, `q8` = `model_quantized.onnx`, `q4` = `model_q4.onnx`
 * (for CLIP: `text_model*.onnx` and `vision_model*.onnx`).
 */
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** The dtypes botlens's own quantizer writes (`q8`: int8, `q4`: 4-bit blocks). */
export const QUANTIZED_DTYPES = Object.freeze(['q8', 'q4'] as const);

/** A dtype botlens's quantizer writes: one of {@link QUANTIZED_DTYPES}. */
export type QuantizedDtype = (typeof QUANTIZED_DTYPES)[number];

/** True when `value` is one of {@link MODEL_DTYPES}. */
export function isModelDtype(value: unknown): value is ModelDtype {
  return typeof value === 'string' && (MODEL_DTYPES as readonly string[]).includes(value);
}

/**
 * The ONNX file a dtype selects, relative to the model folder (the transformers.js naming).
 *
 * @param dtype - the weight variant
 * @param base - the file's base name (`model`, or `text_model` / `vision_model` for CLIP)
 * @example
 * ```ts
 * onnxFileFor('q8'); // 'onnx/model_quantized.onnx'
 * ```
 */
export function onnxFileFor(dtype: TransformersDtype, base = 'model'): string {
  return `onnx/${base}${DTYPE_FILE_SUFFIXES[dtype]}.onnx`;
}

/** Every non-empty suffix, longest first (so `_q4f16` is tried before `_q4` in a pattern). */
export const VARIANT_SUFFIXES: readonly string[] = Object.freeze(
  Object.values(DTYPE_FILE_SUFFIXES)
    .filter((s) => s !== '')
    .sort((a, b) => b.length - a.length),
);

/**
 * Matches an ONNX file of a transformers.js model folder, external data included:
 * `onnx/<base><suffix>.onnx`, `.onnx_data`, `.onnx_data_1`... Group 1 is the base name (`model`,
 * `text_model`...), group 2 the dtype suffix (absent for fp32).
 */
export const ONNX_FILE_PATTERN: RegExp = new RegExp(
  `^onnx/(.+?)(${VARIANT_SUFFIXES.join('|')})?\\.onnx(?:[._]data(?:_\\d+)?)?$`,
);
