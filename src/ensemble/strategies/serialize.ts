import type { MemberFeatureSpec } from '../member-features.js';
import type { StackingModel } from '../stacking.js';
import type { SerializedCombiner } from '../types.js';

/** A logistic combiner as saved in ensemble state (with its member features, when it learned on some). @internal */
export function toSerialized(m: StackingModel): SerializedCombiner {
  const c: SerializedCombiner = { weights: [...m.weights], intercept: m.intercept };
  if (m.memberFeatures && m.memberFeatures.length > 0) {
    c.memberFeatures = copySpecs(m.memberFeatures);
  }
  return c;
}

/** A saved logistic combiner, rebuilt. @internal */
export function fromSerialized(c: SerializedCombiner): StackingModel {
  const m: StackingModel = { weights: [...c.weights], intercept: c.intercept };
  if (c.memberFeatures && c.memberFeatures.length > 0) {
    m.memberFeatures = copySpecs(c.memberFeatures);
  }
  return m;
}

/** A deep copy of member-feature specs (saved and live models never share arrays). */
function copySpecs(specs: readonly MemberFeatureSpec[]): MemberFeatureSpec[] {
  return specs.map((f) => ({ member: f.member, names: [...f.names] }));
}
