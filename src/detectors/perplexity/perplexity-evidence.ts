import type { Evidence } from '../../core/detector.js';
import { fmt } from './perplexity-math.js';
import type { PerplexityDiversityFeatures, PerplexityFeature } from './perplexity-options.js';

/** What the evidence sentences need to know about the detector. @internal */
export interface EvidenceContext {
  /** The feature names, in vector order. */
  featureNames: readonly PerplexityFeature[];
  /** The causal LM's name. */
  model: string;
  /** True with an observer model (Binoculars). */
  observer: boolean;
  /** The fitted Binoculars threshold, or null. */
  binocularsThreshold: number | null;
}

/**
 * The evidence of one detection: every signal with its value, its contribution and a sentence.
 *
 * @internal
 */
export function perplexityEvidence(
  f: PerplexityDiversityFeatures,
  contributions: number[],
  ctx: EvidenceContext,
): Evidence[] {
  const c = (n: PerplexityFeature) => contributions[ctx.featureNames.indexOf(n)] ?? 0;
  const dir = (x: number) => (x > 0 ? 'points to bot' : x < 0 ? 'points to human' : 'is neutral');
  const model = ctx.model;
  const lm = f.lm;
  const d = f.diversity;
  const ev: Evidence[] = [];
  const ppl = lm.logPerplexity === null ? null : Math.exp(lm.logPerplexity);
  ev.push(
    ppl === null
      ? { name: 'perplexity', value: null, sentence: 'Too few tokens for a perplexity.', contribution: 0 }
      : {
          name: 'perplexity',
          value: ppl,
          sentence: `Perplexity ${fmt(ppl)} under ${model} over ${lm.scoredTokens} tokens: ${
            c('log_perplexity') > 0
              ? 'more predictable than typical, which points to bot'
              : c('log_perplexity') < 0
                ? 'less predictable than typical, which points to human'
                : 'neutral'
          }.`,
          contribution: c('log_perplexity'),
        },
  );
  ev.push(
    lm.entropyMean === null
      ? {
          name: 'entropy_mean',
          value: null,
          sentence: 'Too few tokens for a next-token entropy.',
          contribution: 0,
        }
      : {
          name: 'entropy_mean',
          value: lm.entropyMean,
          sentence: `Mean next-token entropy ${fmt(lm.entropyMean)} nats; it ${dir(c('entropy_mean'))}.`,
          contribution: c('entropy_mean'),
        },
  );
  if (ctx.observer) {
    const t = ctx.binocularsThreshold;
    ev.push(
      lm.binoculars === null
        ? {
            name: 'binoculars',
            value: null,
            sentence: 'Too few tokens for a Binoculars score.',
            contribution: 0,
          }
        : {
            name: 'binoculars',
            value: lm.binoculars,
            sentence:
              t === null
                ? `Binoculars score ${fmt(lm.binoculars)} (log-perplexity ${fmt(lm.performerLogPerplexity!)} / cross-entropy ${fmt(lm.crossEntropy!)}); not used until fit() sets its threshold for this model pair.`
                : `Binoculars score ${fmt(lm.binoculars)} is ${lm.binoculars < t ? 'below' : 'at or above'} the fitted threshold ${fmt(t)} (${lm.binoculars < t ? 'machine-like' : 'human-like'}); it ${dir(c('binoculars'))}.`,
            contribution: c('binoculars'),
          },
    );
  }
  const div = (name: PerplexityFeature, value: number | null, what: string, missing: string) =>
    ev.push(
      value === null
        ? { name, value: null, sentence: missing, contribution: 0 }
        : { name, value, sentence: `${what} ${fmt(value)}; it ${dir(c(name))}.`, contribution: c(name) },
    );
  div(
    'distinct_1',
    d.distinct1,
    'Distinct-1 (share of words that are new)',
    'No words to measure distinct-1.',
  );
  div(
    'distinct_2',
    d.distinct2,
    'Distinct-2 (share of distinct word pairs)',
    'No message has two words: distinct-2 not measured.',
  );
  div(
    'type_token_ratio',
    d.typeTokenRatio,
    'Moving-average type-token ratio',
    'No words to measure the type-token ratio.',
  );
  div(
    'self_repetition',
    d.selfRepetition,
    'Share of word 3-grams repeated across messages',
    'Fewer than two messages long enough to compare: self-repetition not measured.',
  );
  div('compression_ratio', d.compressionRatio, 'Compression ratio (DEFLATE)', 'No text to compress.');
  return ev;
}
