import { cascadeOrder } from '../cascade.js';
import type { ResolvedEnsembleOptions } from '../ensemble-options.js';
import { CascadeStrategy } from './cascade-strategy.js';
import { StackingStrategy } from './stacking-strategy.js';
import type { EnsembleCombiner } from './strategy.js';
import { WeightedMeanStrategy } from './weighted-mean-strategy.js';

/**
 * The strategy object for resolved ensemble options: the one place that maps a strategy's name to its class.
 *
 * @internal
 */
export function createStrategy(o: ResolvedEnsembleOptions): EnsembleCombiner {
  switch (o.strategy) {
    case 'weighted-mean':
      return new WeightedMeanStrategy(o.weights);
    case 'stacking':
      return new StackingStrategy(
        o.names,
        o.l2,
        o.noveltyGuard,
        o.memberPrefixCuts.length > 0,
        o.memberFeatures,
        o.prior,
      );
    case 'cascade':
      return new CascadeStrategy(cascadeOrder(o.names, o.costs), o.weights, o.margin, o.l2);
  }
}
