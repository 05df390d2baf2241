import type { CompleteHeuristicWeights } from './feature-model.js';

/**
 * Hand-set weights used when the detector is not fitted. Nothing here was tuned on an evaluation split.
 *
 * How they were set: `mean` and `scale` are the mean and standard deviation of each (transformed) text signal
 * on the ConvAI training split (`/work/shared/data/convai-bots/train.jsonl`), rounded; `weight` is log-odds per
 * standard deviation, chosen by hand from the direction and size of each signal's bot/human difference on that
 * split and from what the signal means, then rounded and shrunk where signals overlap (message length, sentence
 * count and end punctuation all measure "writes full sentences", so none gets the full weight alone). Signals
 * whose direction flips between bot families get a small or zero weight. Timing signals cannot be measured on
 * ConvAI (it has no timestamps), so their statistics are priors from human typing and reply behaviour.
 *
 * Regenerate the statistics with `npx tsx scripts/fit-heuristic-defaults.ts` (prints them beside the fitted
 * weights for comparison).
 */
export const DEFAULT_HEURISTIC_WEIGHTS: Readonly<CompleteHeuristicWeights> = Object.freeze({
  // About 40% of judged speakers are bots in the training split: logit(0.42) ≈ -0.3.
  intercept: -0.3,
  features: Object.freeze({
    // log1p(words per message). Generated replies are full sentences (≈8 words); people in chat answer in
    // fragments (≈5 words). The strongest single text signal.
    mean_words: { weight: 0.8, mean: 1.85, scale: 0.5 },
    // Coefficient of variation of message lengths. People mix one-word answers with long messages; generators
    // produce similar lengths each turn.
    length_cv: { weight: -0.3, mean: 0.58, scale: 0.33 },
    // Share of messages of at most two words ("ok", "lol", "me too"): a human habit.
    short_reply_share: { weight: -0.5, mean: 0.24, scale: 0.26 },
    // Share of messages with two or more sentences. Overlaps with mean_words, so a moderate weight.
    multi_sentence_share: { weight: 0.5, mean: 0.24, scale: 0.32 },
    // Share of messages ending in . ! or ?. Models close every sentence; people often leave the last one open.
    end_punctuation_share: { weight: 0.5, mean: 0.51, scale: 0.35 },
    // Questions per message. Chat bots keep the conversation going by asking ("what do you do for a living?").
    question_rate: { weight: 0.3, mean: 0.38, scale: 0.31 },
    // Share of messages spaced like tokenizer output ("i 'm", "fine ."). Almost no person types this.
    tokenizer_spacing_share: { weight: 0.8, mean: 0.11, scale: 0.24 },
    // Share of messages ending in whitespace, a detokenizer artifact; people's clients trim it. Strong when
    // present, but platform-specific, so not larger than tokenizer spacing.
    trailing_space_share: { weight: 0.8, mean: 0.08, scale: 0.23 },
    // Share of all-lowercase messages. Points to bots on ConvAI (lower-cased model output) but to people on
    // most chat platforms (casual typing): the direction depends on the bot family, so it is reported only.
    lowercase_share: { weight: 0, mean: 0.3, scale: 0.4 },
    // Share of sentences starting with a capital letter. Same ambiguity as lowercase_share (LLMs capitalise,
    // lower-cased seq2seq bots do not), so it is reported only.
    capitalised_start_share: { weight: 0, mean: 0.66, scale: 0.4 },
    // Punctuation characters per non-space character: tidy, punctuated text leans bot. Small: overlaps with
    // end punctuation and tokenizer spacing.
    punctuation_rate: { weight: 0.2, mean: 0.053, scale: 0.037 },
    // log1p(emoji per message). Several chat bots decorate replies with emoji; people use them too, so small.
    emoji_rate: { weight: 0.2, mean: 0.03, scale: 0.08 },
    // log1p(links per message). A spam-bot prior: almost nobody in ConvAI posts links, so the statistics are
    // set by hand (one link per message reaches the z clip, +1.5 log-odds).
    link_rate: { weight: 0.3, mean: 0, scale: 0.1 },
    // Share of messages repeating an earlier message word for word: bots loop, people rarely repeat exactly.
    exact_repeat_share: { weight: 0.4, mean: 0.04, scale: 0.1 },
    // Mean highest word-set overlap (Jaccard) with a recent earlier message: bots recycle their own phrases
    // ("i love to ..."). A strong signal on its own.
    near_repeat_mean: { weight: 0.8, mean: 0.18, scale: 0.14 },
    // Mean word-set overlap with the other speaker's latest message: echoing the partner's words is a
    // retrieval and template habit. Weak, so small.
    echo_similarity: { weight: 0.2, mean: 0.08, scale: 0.08 },
    // Timing priors (no timed training data). log1p(median reply delay in seconds): people take seconds to
    // read and type (mean ≈ log1p(5 s)); slower points to human.
    median_delay_ms: { weight: -0.8, mean: 1.8, scale: 0.8 },
    // Coefficient of variation of reply delays: people are irregular (CV near 1), schedulers are steady.
    delay_cv: { weight: -0.5, mean: 0.8, scale: 0.4 },
    // Share of replies faster than a human could read and type them (< minHumanDelayMs, or faster than
    // maxHumanCharsPerSecond). People rarely manage one; the largest timing weight.
    fast_reply_share: { weight: 1, mean: 0.1, scale: 0.2 },
    // log1p(median characters per second of delay). People type 3-7 characters per second (mean ≈ log1p(4)).
    typing_speed_cps: { weight: 0.6, mean: 1.6, scale: 0.7 },
  }),
});
