/**
 * The weights and parameters of the top encoder layer that LoRA training works on: the frozen layer, the
 * trainable LoRA factors and head, one example's precomputed features, and the forward pass's intermediates.
 *
 * @module
 */

/** A frozen linear layer, PyTorch orientation: `weight` is [out, in] row-major. */
export interface LinearWeights {
  /** [out, in], row-major. */
  weight: Float32Array;
  /** [out]. */
  bias: Float32Array;
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
}

/** A frozen layer norm. */
export interface LayerNormWeights {
  /** Scale, [hidden]. */
  gamma: Float32Array;
  /** Shift, [hidden]. */
  beta: Float32Array;
  /** Epsilon. */
  eps: number;
}

/** The activation of the feed-forward block (`hidden_act` in the config). */
export type Activation = 'gelu' | 'gelu_tanh' | 'relu';

/** The frozen weights of the top layer, the pooler and the base classifier. */
export interface TopLayerWeights {
  /** Hidden size. */
  hidden: number;
  /** Attention heads. */
  heads: number;
  /** Feed-forward activation. */
  activation: Activation;
  /** Query projection. */
  query: LinearWeights;
  /** Key projection. */
  key: LinearWeights;
  /** Value projection. */
  value: LinearWeights;
  /** Attention output projection (`attention.output.dense`). */
  attentionOut: LinearWeights;
  /** `attention.output.LayerNorm`. */
  ln1: LayerNormWeights;
  /** `intermediate.dense`. */
  intermediate: LinearWeights;
  /** `output.dense`. */
  output: LinearWeights;
  /** `output.LayerNorm`. */
  ln2: LayerNormWeights;
  /** `pooler.dense` (followed by tanh). */
  pooler: LinearWeights;
  /** The base model's classifier, the head's starting point. */
  classifier: LinearWeights;
}

/** Which projections of the top layer carry LoRA. */
export type LoraTarget = 'query' | 'key' | 'value';

/** The trainable parameters: LoRA factors per target, and the classifier. */
export interface TrainableParams {
  /** The rank. */
  r: number;
  /** The factor on B @ A. */
  scaling: number;
  /** A per target, [r, hidden]. */
  A: Partial<Record<LoraTarget, Float64Array>>;
  /** B per target, [hidden, r]. */
  B: Partial<Record<LoraTarget, Float64Array>>;
  /** Classifier weight, [labels, hidden]. */
  classifierWeight: Float64Array;
  /** Classifier bias, [labels]. */
  classifierBias: Float64Array;
}

/**
 * One example as the top layer sees it: its valid (unpadded) tokens only.
 * `x` is the layer's input; `k0` and `v0` the frozen key and value projections of every token (with bias).
 */
export interface ExampleFeatures {
  /** Number of tokens. */
  tokens: number;
  /** [tokens, hidden] input hidden states. */
  x: Float32Array;
  /** [tokens, hidden] key projections. */
  k0: Float32Array;
  /** [tokens, hidden] value projections. */
  v0: Float32Array;
}

/** What the forward pass keeps for the backward pass. */
export interface ForwardCache {
  /** The logits. */
  logits: Float64Array;
  /** The [CLS] query, LoRA included. */
  q: Float64Array;
  /** The query LoRA's A x0 ([r]), and X A^T ([tokens, r]) for key and value. */
  u: Partial<Record<LoraTarget, Float64Array>>;
  /** Key LoRA: per head, B_h^T q_h ([heads, r]). */
  cq: Float64Array | undefined;
  /** Value LoRA: per head, sum_j P_hj U_j ([heads, r]). */
  pu: Float64Array | undefined;
  /** Attention probabilities, [heads, tokens]. */
  P: Float64Array;
  /** Attention output for [CLS], before the output projection. */
  ctx: Float64Array;
  /** Normalized input of the first layer norm. */
  xh1: Float64Array;
  /** Its reciprocal standard deviation. */
  rstd1: number;
  /** First layer norm output. */
  h1: Float64Array;
  /** Feed-forward pre-activation. */
  z: Float64Array;
  /** Feed-forward activation. */
  g: Float64Array;
  /** Normalized input of the second layer norm. */
  xh2: Float64Array;
  /** Its reciprocal standard deviation. */
  rstd2: number;
  /** The pooler output. */
  pooled: Float64Array;
}

/** Gradients, shaped like {@link TrainableParams}. */
export type Gradients = Pick<TrainableParams, 'A' | 'B' | 'classifierWeight' | 'classifierBias'>;
