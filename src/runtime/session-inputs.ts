/**
 * The input names of a transformers.js model's main ONNX session (`input_ids`, `attention_mask`, ...), when the
 * library exposes them; used to feed exactly what the graph takes.
 *
 * @param model - a loaded `PreTrainedModel`
 * @example
 * ```ts
 * sessionInputNames(handle.model); // ['input_ids', 'attention_mask', 'token_type_ids']
 * ```
 */
export function sessionInputNames(model: unknown): string[] | undefined {
  const sessions = (model as { sessions?: Record<string, { inputNames?: string[] }> }).sessions;
  const s = sessions?.['model'] ?? (sessions ? Object.values(sessions)[0] : undefined);
  return s?.inputNames;
}
