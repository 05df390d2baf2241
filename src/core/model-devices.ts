/** Every {@link ModelDevice}: the one list read by model loading, option validation, the CLI and the config. */
export const MODEL_DEVICES = Object.freeze(['cpu', 'auto', 'gpu', 'cuda'] as const);

/**
 * Where ONNX Runtime runs: one of {@link MODEL_DEVICES}. `cpu` always works; `auto`, `gpu` and `cuda` try the
 * GPU (CUDA on Linux x64) and fall back to the CPU with a warning when it is not available.
 */
export type ModelDevice = (typeof MODEL_DEVICES)[number];
