import type { LogisticModel } from '../../numeric/logistic-regression.js';
import type { SerializedCombiner } from '../types.js';

/** A logistic combiner as saved in ensemble state. @internal */
export function toSerialized(m: LogisticModel): SerializedCombiner {
  return { weights: [...m.weights], intercept: m.intercept };
}

/** A saved logistic combiner, rebuilt. @internal */
export function fromSerialized(c: SerializedCombiner): LogisticModel {
  return { weights: [...c.weights], intercept: c.intercept };
}
