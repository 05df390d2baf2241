import { MessageScan, scanMessage, scanWords } from './message-scan.js';
import { RunningMedian } from './running-median.js';
import { RunningMoments } from './running-moments.js';
import { ScanCache } from './scan-cache.js';
import type {
  StyleCounts,
  StyleFeatureName,
  StyleFeatureOptions,
  StyleFeatures,
} from './style-feature-types.js';
import { WordOverlap } from './word-overlap.js';
import { SequenceSet, WordTable } from './word-table.js';

/** Shortest delay used for typing speed, so that a 0 ms delay gives a large but finite speed. */
const MIN_DELAY_FOR_SPEED_MS = 100;

/** What the accumulator reads of a message (a validated message). */
export interface AccumulatedMessage {
  readonly speaker: string;
  readonly text: string;
  readonly timeMs: number | undefined;
}

/**
 * The style signals of one target speaker, kept as running sums and counters so that adding a message costs
 * the same whatever came before (near repetition looks back at most `repeatWindow` messages; the median delay
 * and typing speed use two heaps, O(log n)). `detect()` pushes every message and reads {@link features} once;
 * a stream reads it after each push. Both get the same numbers.
 */
export class StyleAccumulator {
  private c: StyleCounts = emptyCounts();
  private target = '';
  /** Characters of every target message, blank ones included. */
  private chars = 0;
  /** Lengths of the non-blank target messages, for length_cv. */
  private readonly lengths = new RunningMoments();
  private punct = 0;
  private nonSpace = 0;
  private readonly table = new WordTable();
  private readonly scan = new MessageScan();
  private readonly cache = new ScanCache();
  private textCache = true;
  private set = new Int32Array(32);
  private otherSet = new Int32Array(32);
  private otherSetSize = 0;
  private readonly seenWords = new SequenceSet();
  private readonly seenBare = new Set<string>();
  private readonly overlap: WordOverlap;
  private repeatSum = 0;
  private repeatN = 0;
  private echoSum = 0;
  private echoN = 0;
  /** The other speaker's latest message, until its words are needed. */
  private lastOtherText: string | undefined;
  private lastOtherScanned = false;
  /** The previous message's speaker (`undefined` before the first message) and time (`NaN` when untimed). */
  private prevSpeaker: string | undefined;
  private prevTimeMs = Number.NaN;
  /** Reply delays, for delay_cv (their count is that of timed replies). */
  private readonly delayMoments = new RunningMoments();
  private readonly delays = new RunningMedian();
  private readonly speeds = new RunningMedian();

  /**
   * @param target - the speaker whose style is measured
   * @param o - resolved options (see `resolveStyleFeatureOptions`)
   */
  constructor(
    target: string,
    private readonly o: Readonly<Required<StyleFeatureOptions>>,
  ) {
    this.overlap = new WordOverlap(o.repeatWindow);
    this.target = target;
  }

  /**
   * Starts over for a new transcript, keeping the memory already allocated (a detector reuses one accumulator
   * across `detect()` calls: allocating the tables cost more than measuring a short transcript).
   *
   * @param target - the speaker whose style is measured
   * @param textCache - whether message texts may be cached once the target repeats one (off only to test that
   *   the cache changes nothing)
   */
  reset(target: string, textCache = true): void {
    this.target = target;
    this.textCache = textCache;
    this.c = emptyCounts();
    this.chars = 0;
    this.lengths.clear();
    this.punct = 0;
    this.nonSpace = 0;
    this.overlap.clear(this.table.size);
    this.table.clear();
    this.cache.clear();
    this.otherSetSize = 0;
    this.seenWords.clear();
    this.seenBare.clear();
    this.repeatSum = 0;
    this.repeatN = 0;
    this.echoSum = 0;
    this.echoN = 0;
    this.lastOtherText = undefined;
    this.lastOtherScanned = false;
    this.prevSpeaker = undefined;
    this.prevTimeMs = Number.NaN;
    this.delayMoments.clear();
    this.delays.clear();
    this.speeds.clear();
  }

  /** Messages the target sent so far. */
  get targetMessages(): number {
    return this.c.messages;
  }

  /** Characters of the target's messages so far. */
  get targetCharacters(): number {
    return this.chars;
  }

  /** Adds the next message of the transcript (any speaker). */
  push(m: AccumulatedMessage): void {
    this.add(m.speaker, m.text, m.timeMs ?? Number.NaN);
  }

  /**
   * {@link StyleAccumulator.push} from the message's parts, for callers that hold no message object.
   *
   * @param timeMs - epoch milliseconds; `NaN` when the message has no timestamp
   */
  add(speaker: string, text: string, timeMs: number): void {
    const prevSpeaker = this.prevSpeaker;
    const prevTimeMs = this.prevTimeMs;
    this.prevSpeaker = speaker;
    this.prevTimeMs = timeMs;
    if (speaker !== this.target) {
      this.lastOtherText = text;
      this.lastOtherScanned = false;
      return;
    }
    const c = this.c;
    const o = this.o;
    c.messages++;
    this.chars += text.length;

    // Timing: a reply to the message just before, when both are timed.
    if (
      prevSpeaker !== undefined &&
      prevSpeaker !== this.target &&
      !Number.isNaN(prevTimeMs) &&
      !Number.isNaN(timeMs)
    ) {
      const delay = timeMs - prevTimeMs;
      const cps = text.length / (Math.max(delay, MIN_DELAY_FOR_SPEED_MS) / 1000);
      this.delayMoments.add(delay);
      this.delays.add(delay);
      this.speeds.add(cps);
      c.timedReplies++;
      if (delay < o.minHumanDelayMs || cps > o.maxHumanCharsPerSecond) c.fastReplies++;
    }

    const s = this.scan;
    const cache = this.cache;
    let e = cache.find(text);
    // A text the target sent before: its counts and words are known, and it repeats itself word for word.
    const again = e >= 0 && cache.hasScan(e);
    if (again) cache.loadScan(e, s);
    else scanMessage(text, this.table, s);
    if (s.blank) return;
    c.textMessages++;
    this.lengths.add(text.length);
    const nw = s.wordCount;
    c.words += nw;
    if (nw <= 2) c.shortReplies++;
    c.emoji += s.emoji;
    c.links += s.links;
    c.questions += s.questions;
    this.punct += s.punctuation;
    this.nonSpace += s.nonSpace;
    if (s.endPunctuation) c.endPunctuation++;
    if (s.tokenizerSpacing) c.tokenizerSpacing++;
    if (s.trailingSpace) c.trailingSpace++;
    if (s.lowercase >= 0) {
      c.casedMessages++;
      if (s.lowercase === 1) c.lowercase++;
    }
    if (s.sentences >= 2) c.multiSentence++;
    c.casedSentences += s.casedSentences;
    c.capitalisedStarts += s.capitalisedStarts;

    if (this.set.length < nw) this.set = new Int32Array(Math.max(nw, s.ids.length));
    let size: number;
    if (again) {
      c.exactRepeats++;
      size = cache.copySet(e, this.set);
    } else {
      // Exact repetition: same words in the same order (or the same trimmed text when it has no words).
      if (nw > 0 ? this.seenWords.has(s.ids, nw) : seenBefore(this.seenBare, text.trim())) {
        c.exactRepeats++;
        // This transcript repeats itself: from now on, measure each text once.
        cache.enabled = this.textCache;
      }
      size = this.overlap.distinct(s.ids, nw, this.set, this.table.size);
      if (e < 0) e = cache.add(text, this.set, size);
      cache.storeScan(e, s);
    }
    if (size === 0) return;
    // Near repetition: highest word-set overlap with a recent earlier message.
    // A text sent again has the same word set: when the earlier copy is in the window, the overlap is 1.
    const earlier = cache.historyOf(e);
    const overlap = this.overlap;
    const best =
      earlier >= 0 ? overlap.addRepeatOf(earlier, this.set, size) : overlap.addAndCompare(this.set, size);
    cache.setHistory(e, overlap.messages - 1);
    if (best !== null) {
      this.repeatSum += best;
      this.repeatN++;
    }
    // Echo: overlap with the other speaker's latest message.
    if (this.lastOtherText !== undefined) {
      if (!this.lastOtherScanned) this.scanLastOther();
      if (this.otherSetSize > 0) {
        this.echoSum += this.overlap.jaccard(this.set, size, this.otherSet, this.otherSetSize);
        this.echoN++;
      }
    }
  }

  private scanLastOther(): void {
    const text = this.lastOtherText!;
    const cache = this.cache;
    const e = cache.find(text);
    this.lastOtherScanned = true;
    if (e >= 0) {
      const size = cache.setSize(e);
      if (this.otherSet.length < size) this.otherSet = new Int32Array(size);
      this.otherSetSize = cache.copySet(e, this.otherSet);
      return;
    }
    const s = this.scan;
    scanWords(text, this.table, s);
    if (this.otherSet.length < s.wordCount) this.otherSet = new Int32Array(s.ids.length);
    this.otherSetSize = this.overlap.distinct(s.ids, s.wordCount, this.otherSet, this.table.size);
    cache.add(text, this.otherSet, this.otherSetSize);
  }

  /** The signals over the messages pushed so far (a fresh object each call). */
  features(): StyleFeatures {
    const c = this.c;
    const n = c.textMessages;
    const hasText = n > 0;
    const rate = (k: number): number | null => (hasText ? k / n : null);
    const dn = this.delayMoments.n;
    const values: Record<StyleFeatureName, number | null> = {
      mean_words: rate(c.words),
      // every length is >= 1 (blank messages are skipped), so the mean is positive
      length_cv: n >= 2 ? this.lengths.cv() : null,
      short_reply_share: rate(c.shortReplies),
      multi_sentence_share: rate(c.multiSentence),
      end_punctuation_share: rate(c.endPunctuation),
      question_rate: rate(c.questions),
      tokenizer_spacing_share: rate(c.tokenizerSpacing),
      trailing_space_share: rate(c.trailingSpace),
      lowercase_share: c.casedMessages > 0 ? c.lowercase / c.casedMessages : null,
      capitalised_start_share: c.casedSentences > 0 ? c.capitalisedStarts / c.casedSentences : null,
      punctuation_rate: hasText && this.nonSpace > 0 ? this.punct / this.nonSpace : null,
      emoji_rate: rate(c.emoji),
      link_rate: rate(c.links),
      exact_repeat_share: n >= 2 ? c.exactRepeats / n : null,
      near_repeat_mean: this.repeatN > 0 ? this.repeatSum / this.repeatN : null,
      echo_similarity: this.echoN > 0 ? this.echoSum / this.echoN : null,
      median_delay_ms: dn > 0 ? this.delays.median() : null,
      delay_cv: dn >= 2 ? this.delayMoments.cv() : null,
      fast_reply_share: dn > 0 ? c.fastReplies / dn : null,
      typing_speed_cps: dn > 0 ? this.speeds.median() : null,
    };
    return { values, counts: { ...c } };
  }
}

function emptyCounts(): StyleCounts {
  return {
    messages: 0,
    textMessages: 0,
    words: 0,
    emoji: 0,
    links: 0,
    questions: 0,
    shortReplies: 0,
    multiSentence: 0,
    endPunctuation: 0,
    tokenizerSpacing: 0,
    trailingSpace: 0,
    lowercase: 0,
    casedMessages: 0,
    capitalisedStarts: 0,
    casedSentences: 0,
    exactRepeats: 0,
    timedReplies: 0,
    fastReplies: 0,
  };
}

/** Adds `key` to `seen`; true when it was there already. */
function seenBefore(seen: Set<string>, key: string): boolean {
  if (seen.has(key)) return true;
  seen.add(key);
  return false;
}
