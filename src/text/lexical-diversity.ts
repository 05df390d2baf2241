import { deflateRawSync } from 'node:zlib';
import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ngrams, wordTokens } from './tokenize.js';

/**
 * Distinct-n (Li et al. 2016): distinct n-grams divided by all n-grams, pooled over `messages`. N-grams are
 * taken inside each message, never across two. 1 means no n-gram repeats; templated text scores low.
 *
 * @param messages - one token list per message (see {@link wordTokens})
 * @param n - the n-gram length, a positive integer
 * @returns the ratio in (0, 1], or `null` when no message has `n` tokens
 *
 * @example
 * ```ts
 * distinctN([['i', 'am', 'fine'], ['i', 'am', 'here']], 1); // 4 distinct / 6 = 0.667
 * ```
 */
export function distinctN(messages: readonly (readonly string[])[], n: number): number | null {
  checkPositiveInt('n', n);
  const seen = new Set<string>();
  let total = 0;
  for (const m of messages) {
    for (const g of ngrams(m, n)) {
      seen.add(g);
      total++;
    }
  }
  return total === 0 ? null : seen.size / total;
}

/**
 * Type-token ratio: distinct tokens divided by tokens.
 *
 * @param tokens - word tokens
 * @returns the ratio in (0, 1], or `null` for no tokens
 *
 * @example
 * ```ts
 * typeTokenRatio(['a', 'b', 'a', 'c']); // 0.75
 * ```
 */
export function typeTokenRatio(tokens: readonly string[]): number | null {
  if (tokens.length === 0) return null;
  return new Set(tokens).size / tokens.length;
}

/**
 * Moving-average type-token ratio (MATTR, Covington & McFall 2010): the mean type-token ratio of every
 * `window`-token stretch of `tokens`. Unlike the plain ratio it does not fall just because a text is longer.
 * Texts no longer than `window` get the plain {@link typeTokenRatio}.
 *
 * @param tokens - word tokens
 * @param window - stretch length, a positive integer
 * @returns the ratio in (0, 1], or `null` for no tokens
 *
 * @example
 * ```ts
 * movingAverageTtr(['a', 'b', 'a', 'b'], 2); // windows ab, ba, ab: each 1, so 1
 * movingAverageTtr(['a', 'a', 'b'], 2); // windows aa (0.5), ab (1): 0.75
 * ```
 */
export function movingAverageTtr(tokens: readonly string[], window: number): number | null {
  checkPositiveInt('window', window);
  if (tokens.length <= window) return typeTokenRatio(tokens);
  const counts = new Map<string, number>();
  for (let i = 0; i < window; i++) counts.set(tokens[i]!, (counts.get(tokens[i]!) ?? 0) + 1);
  let sum = counts.size / window;
  for (let i = window; i < tokens.length; i++) {
    const out = tokens[i - window]!;
    const left = counts.get(out)! - 1;
    if (left === 0) counts.delete(out);
    else counts.set(out, left);
    counts.set(tokens[i]!, (counts.get(tokens[i]!) ?? 0) + 1);
    sum += counts.size / window;
  }
  return sum / (tokens.length - window + 1);
}

/**
 * Self-repetition across messages: the share of a speaker's n-grams that also occur in another of the same
 * speaker's messages. Scripted bots reuse phrases ("what do you do for fun") from message to message; people
 * rarely repeat themselves word for word. Counted per n-gram occurrence: an n-gram repeated inside one message
 * only does not count.
 *
 * @param messages - one token list per message
 * @param n - the n-gram length, a positive integer
 * @returns the share in [0, 1], or `null` when fewer than two messages have `n` tokens
 *
 * @example
 * ```ts
 * selfRepetition([['how', 'are', 'you'], ['and', 'how', 'are', 'you']], 3);
 * // 3-grams: {how are you} and {and how are, how are you}; "how are you" occurs in both: 2 of 3 = 0.667
 * ```
 */
export function selfRepetition(messages: readonly (readonly string[])[], n: number): number | null {
  checkPositiveInt('n', n);
  const perMessage = messages.map((m) => ngrams(m, n)).filter((g) => g.length > 0);
  if (perMessage.length < 2) return null;
  // In how many messages does each n-gram occur?
  const messageCount = new Map<string, number>();
  for (const gs of perMessage)
    for (const g of new Set(gs)) messageCount.set(g, (messageCount.get(g) ?? 0) + 1);
  let repeated = 0;
  let total = 0;
  for (const gs of perMessage) {
    for (const g of gs) {
      total++;
      if (messageCount.get(g)! > 1) repeated++;
    }
  }
  return repeated / total;
}

/**
 * Compression ratio: UTF-8 bytes of `text` divided by the bytes of its raw DEFLATE stream (node:zlib
 * `deflateRawSync`, level 9, no header). Repetitive text compresses well and scores high. On short texts
 * DEFLATE's fixed costs dominate and the ratio sits below 1, so compare texts of similar length (or let
 * `fit()` learn how it varies).
 *
 * @param text - any text
 * @returns the ratio (> 0), or `null` for `''`
 *
 * @example
 * ```ts
 * compressionRatio('ha'.repeat(200)) > compressionRatio('the quick brown fox jumps over the lazy dog'); // true
 * ```
 */
export function compressionRatio(text: string): number | null {
  if (text === '') return null;
  const raw = Buffer.from(text, 'utf8');
  return raw.length / deflateRawSync(raw, { level: 9 }).length;
}

/** Options for `lexicalDiversity`. */
export interface LexicalDiversityOptions {
  /**
   * Window of the moving-average type-token ratio (`movingAverageTtr`).
   * @defaultValue 50
   */
  mattrWindow?: number;
  /**
   * N-gram length of `selfRepetition`.
   * @defaultValue 3
   */
  selfRepetitionN?: number;
}

/** The lexical-diversity figures of one speaker's messages; `null` where the text is too short to measure. */
export interface LexicalDiversity {
  /** Word tokens over all messages. */
  tokens: number;
  /** `distinctN` with n = 1 (the plain type-token ratio of all the tokens). */
  distinct1: number | null;
  /** `distinctN` with n = 2. */
  distinct2: number | null;
  /** The moving-average type-token ratio (`movingAverageTtr`) of all the tokens in order. */
  typeTokenRatio: number | null;
  /** `selfRepetition` across the messages. */
  selfRepetition: number | null;
  /** {@link compressionRatio} of the messages joined with `\n`. */
  compressionRatio: number | null;
}

/**
 * Measures the lexical diversity of one speaker's messages: distinct-1/2, moving-average type-token ratio,
 * self-repetition across messages and compression ratio. Bots, scripted ones above all, tend to show lower
 * diversity, more self-repetition and text that compresses better.
 *
 * @param messages - the speaker's message texts, in order
 * @param options - see {@link LexicalDiversityOptions}
 *
 * @example
 * ```ts
 * const d = lexicalDiversity(['What do you do for fun ?', 'I like food . What do you do for fun ?']);
 * d.selfRepetition; // 8/11: the 4 + 4 occurrences of 'what do you', 'do you do', 'you do for', 'do for fun' of 11
 * ```
 */
export function lexicalDiversity(
  messages: readonly string[],
  options: LexicalDiversityOptions = {},
): LexicalDiversity {
  const mattrWindow = options.mattrWindow ?? 50;
  const n = options.selfRepetitionN ?? 3;
  checkPositiveInt('mattrWindow', mattrWindow);
  checkPositiveInt('selfRepetitionN', n);
  const perMessage = messages.map(wordTokens);
  const all = perMessage.flat();
  return {
    tokens: all.length,
    distinct1: distinctN(perMessage, 1),
    distinct2: distinctN(perMessage, 2),
    typeTokenRatio: movingAverageTtr(all, mattrWindow),
    selfRepetition: selfRepetition(perMessage, n),
    compressionRatio: compressionRatio(messages.join('\n')),
  };
}

function checkPositiveInt(option: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new InvalidOptionsError(option, `expected a positive integer, got ${describeValue(v)}`);
}
