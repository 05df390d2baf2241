import { jaccardOf } from './jaccard.js';
import { MessageScan, scanMessage, scanWords } from './message-scan.js';
import { RunningMedian } from './running-median.js';
import { RunningMoments } from './running-moments.js';
import { ScanCache } from './scan-cache.js';
import {
  STYLE_FEATURE_NAMES,
  type StyleCounts,
  type StyleFeatureOptions,
  type StyleFeatures,
  signalRecord,
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
  /** Where the next target message is scanned (a scan the text cache keeps is replaced by a spare). */
  private scan = new MessageScan();
  /** The words of the other speaker's latest message (a scan of its own: the target's stays in `scan`). */
  private readonly otherScan = new MessageScan();
  private readonly cache = new ScanCache();
  private textCache = true;
  /** Size of the other speaker's latest word set (the echo set). */
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
  /** The time {@link StyleAccumulator.add} was given, where `addAt` reads it. */
  private readonly oneTime = new Float64Array(1);

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
    // (Set.clear() allocates a new table even for an empty set; blank or wordless texts are rare.)
    if (this.seenBare.size > 0) this.seenBare.clear();
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
    this.oneTime[0] = timeMs;
    this.addAt(speaker, text, this.oneTime, 0);
  }

  /**
   * Adds every message of a transcript, in order, the time of `messages[i]` in `timeMs[i]` (`NaN` when it has
   * none): what `detect()` does. The times are read from the array, never passed one by one: a time passed to
   * a call (not a small integer) is boxed, an allocation per message.
   */
  addAll(
    messages: readonly { readonly speaker: string; readonly text: string }[],
    timeMs: Float64Array,
  ): void {
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      this.addAt(m.speaker, m.text, timeMs, i);
    }
  }

  /**
   * Adds a message whose time is `times[i]`: its timing here, its text in {@link StyleAccumulator.addText}. Kept
   * small so that it and {@link StyleAccumulator.addReply} are inlined into the loop that calls it, and the
   * timing does not take the inlining budget of `addText` (inlined there, the running sums left `find` and
   * `markEcho` as calls whenever messages had timestamps: about 12K instructions per 200-message detect).
   */
  private addAt(speaker: string, text: string, times: Float64Array, i: number): void {
    const timeMs = times[i]!;
    const prevSpeaker = this.prevSpeaker;
    const prevTimeMs = this.prevTimeMs;
    this.prevSpeaker = speaker;
    this.prevTimeMs = timeMs;
    if (speaker !== this.target) {
      this.lastOtherText = text;
      this.lastOtherScanned = false;
      return;
    }
    // Timing: a reply to the message just before, when both are timed.
    if (
      prevSpeaker !== undefined &&
      prevSpeaker !== this.target &&
      !Number.isNaN(prevTimeMs) &&
      !Number.isNaN(timeMs)
    ) {
      this.addReply(timeMs - prevTimeMs, text.length);
    }
    this.addText(text);
  }

  /** Adds the text of a target message. */
  private addText(text: string): void {
    const c = this.c;
    c.messages++;
    this.chars += text.length;

    const cache = this.cache;
    let e = cache.find(text);
    // A text the target sent before: its counts and words are known, and it repeats itself word for word.
    const again = e >= 0 && cache.hasScan(e);
    const s = again ? cache.scanOf(e) : this.scan;
    if (!again) scanMessage(text, this.table, s);
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

    if (again) {
      c.exactRepeats++;
    } else {
      // Exact repetition: same words in the same order (or the same trimmed text when it has no words).
      if (nw > 0 ? this.seenWords.has(s.ids, nw) : seenBefore(this.seenBare, text.trim())) {
        c.exactRepeats++;
        // This transcript repeats itself: from now on, measure each text once.
        cache.enabled = this.textCache;
      }
      // (An entry found but not scanned: the other speaker sent this text, and its set is known.)
      if (e < 0) e = this.placeSet(text, s);
      // Kept by the cache when it keeps the text (`s` stays as it is): the next message is scanned into a spare.
      if (e >= 0) this.scan = cache.keepScan(e, s);
    }
    // The message's words: a distinct-word set in the cache's pool when the text is kept there, else the ids in
    // `s` (repeats included), which the near-repetition history reads as their set.
    if (e >= 0 ? cache.setSize(e) === 0 : nw === 0) return;
    const overlap = this.overlap;
    // Echo: overlap with the other speaker's latest message, whose words are marked before this message is
    // added to the near-repetition history, which counts the shared words on the way.
    if (this.lastOtherText !== undefined && !this.lastOtherScanned) this.scanLastOther();
    const echo = this.lastOtherText !== undefined && this.otherSetSize > 0;
    // Near repetition: highest word-set overlap with a recent earlier message.
    let compared: boolean;
    if (e < 0) {
      compared = overlap.addWords(s.ids, nw, this.table.size);
    } else {
      // (Scanning the other's message may have grown the cache's pool: read `sets` after it.)
      const sets = cache.sets;
      const start = cache.setStart(e);
      const size = cache.setSize(e);
      // A text sent again has the same word set: when the earlier copy is in the window, the overlap is 1.
      const earlier = cache.historyOf(e);
      compared =
        earlier >= 0
          ? overlap.addRepeatOf(earlier, sets, size, start)
          : overlap.addAndCompare(sets, size, start);
      cache.setHistory(e, overlap.messages - 1);
    }
    // (`=== true`: the value of a call V8 did not inline is tested as any value would be, about 10 instructions.)
    if (compared === true) {
      this.repeatSum += overlap.similarity;
      this.repeatN++;
    }
    if (echo) {
      this.echoSum += jaccardOf(overlap.echoShared, overlap.added, this.otherSetSize);
      this.echoN++;
    }
  }

  /**
   * Adds a timed reply of the target: its delay and its length in characters. A method of its own, called with
   * a delay that is a small integer in practice (whole milliseconds), so that the running sums it feeds are
   * inlined here: inlined into {@link StyleAccumulator.addText}, whose budget the word statistics use up, they
   * stayed calls, each passing a number that is not a small integer (boxed: an allocation per reply).
   */
  private addReply(delay: number, length: number): void {
    const o = this.o;
    const c = this.c;
    const cps = length / (Math.max(delay, MIN_DELAY_FOR_SPEED_MS) / 1000);
    this.delayMoments.add(delay);
    this.delays.add(delay);
    this.speeds.add(cps);
    c.timedReplies++;
    if (delay < o.minHumanDelayMs || cps > o.maxHumanCharsPerSecond) c.fastReplies++;
  }

  /**
   * Finds the words of the other speaker's latest message, in the cache or by scanning them, and marks them as
   * the echo set.
   */
  private scanLastOther(): void {
    const text = this.lastOtherText!;
    const cache = this.cache;
    this.lastOtherScanned = true;
    let e = cache.find(text);
    if (e < 0) {
      const o = this.otherScan;
      scanWords(text, this.table, o);
      e = this.placeSet(text, o);
      if (e < 0) {
        this.otherSetSize = this.overlap.markEchoWords(o.ids, o.wordCount, this.table.size);
        return;
      }
    }
    this.otherSetSize = cache.setSize(e);
    this.overlap.markEcho(cache.sets, cache.setStart(e), this.otherSetSize);
  }

  /**
   * When the cache keeps texts, writes the distinct ids of the words of `scan`, just scanned from `text` (a text
   * the cache does not hold), into the cache's pool as a new entry and returns it; else returns -1 (the words
   * stay in `scan`).
   */
  private placeSet(text: string, scan: MessageScan): number {
    const cache = this.cache;
    const n = scan.wordCount;
    const start = cache.reserve(n);
    if (start < 0) return -1;
    return cache.add(text, this.overlap.distinct(scan.ids, n, cache.sets, this.table.size, start));
  }

  /** The signals over the messages pushed so far (a fresh object each call). */
  features(): StyleFeatures {
    const x = new Float64Array(SIGNALS);
    return this.featuresOf(x, this.signals(x));
  }

  /**
   * The signals over the messages pushed so far, written into `out` in `STYLE_FEATURE_NAMES` order (a scorer
   * reads them by position: no object per call, no lookup by name). Returns which were measured: bit k set
   * when `out[k]` holds a value; the others are `null` in {@link StyleAccumulator.features}.
   */
  signals(out: Float64Array): number {
    const c = this.c;
    const n = c.textMessages;
    const dn = this.delayMoments.n;
    let has = 0;
    if (n > 0) {
      out[0] = c.words / n; // mean_words
      out[2] = c.shortReplies / n; // short_reply_share
      out[3] = c.multiSentence / n; // multi_sentence_share
      out[4] = c.endPunctuation / n; // end_punctuation_share
      out[5] = c.questions / n; // question_rate
      out[6] = c.tokenizerSpacing / n; // tokenizer_spacing_share
      out[7] = c.trailingSpace / n; // trailing_space_share
      out[11] = c.emoji / n; // emoji_rate
      out[12] = c.links / n; // link_rate
      has |=
        (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 11) | (1 << 12);
      if (this.nonSpace > 0) {
        out[10] = this.punct / this.nonSpace; // punctuation_rate
        has |= 1 << 10;
      }
    }
    if (n >= 2) {
      // every length is >= 1 (blank messages are skipped), so the mean is positive
      out[1] = this.lengths.cv(); // length_cv
      out[13] = c.exactRepeats / n; // exact_repeat_share
      has |= (1 << 1) | (1 << 13);
    }
    if (c.casedMessages > 0) {
      out[8] = c.lowercase / c.casedMessages; // lowercase_share
      has |= 1 << 8;
    }
    if (c.casedSentences > 0) {
      out[9] = c.capitalisedStarts / c.casedSentences; // capitalised_start_share
      has |= 1 << 9;
    }
    if (this.repeatN > 0) {
      out[14] = this.repeatSum / this.repeatN; // near_repeat_mean
      has |= 1 << 14;
    }
    if (this.echoN > 0) {
      out[15] = this.echoSum / this.echoN; // echo_similarity
      has |= 1 << 15;
    }
    if (dn > 0) {
      out[16] = this.delays.median(); // median_delay_ms
      out[18] = c.fastReplies / dn; // fast_reply_share
      out[19] = this.speeds.median(); // typing_speed_cps
      has |= (1 << 16) | (1 << 18) | (1 << 19);
    }
    if (dn >= 2) {
      out[17] = this.delayMoments.cv(); // delay_cv
      has |= 1 << 17;
    }
    return has;
  }

  /** {@link StyleAccumulator.features} from what {@link StyleAccumulator.signals} wrote just now. */
  featuresOf(x: Float64Array, has: number): StyleFeatures {
    return { values: signalRecord(x, has), counts: this.counts() };
  }

  /** A copy of the counts behind the signals so far. */
  counts(): StyleCounts {
    return { ...this.c };
  }
}

/** How many signals {@link StyleAccumulator.signals} writes. */
export const SIGNALS = STYLE_FEATURE_NAMES.length;

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
