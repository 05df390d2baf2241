import { isPrefixCut } from '../../core/training-marks.js';
import type { LabelledTranscript, ValidTranscript } from '../../core/transcript.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { conversationKey, targetText } from './model.js';

/** What the embedding detector learns from: the target texts with their labels and conversations. */
export interface TrainingTexts {
  /** The target's joined text, one per usable example. */
  texts: string[];
  /** 1 for bot, 0 for human, per text. */
  labels: Uint8Array;
  /** The conversation each text comes from (folds keep a conversation together). */
  keys: string[];
  /** How many texts are bots. */
  bots: number;
  /** How many texts are humans. */
  humans: number;
  /** Examples skipped because their target sent no text. */
  skippedEmpty: number;
  /**
   * How many texts, from the start, come from whole conversations: the kNN vote's labelled set. The texts after
   * them come from examples marked as prefix cuts (`markPrefixCut`), which only shape the centroids, the probe
   * and the calibration. All texts when no example is marked, or when every one is.
   */
  neighbours: number;
}

/** The text and conversation key of each validated transcript a fit has read (see {@link textAndKey}). */
const known = new WeakMap<ValidTranscript, { text: string; key: string }>();

/**
 * A validated transcript's target text and conversation key, computed once per transcript: an ensemble refits
 * the detector on overlapping examples and hands it the same frozen copies each time (see `markValidCopies`),
 * so the texts are joined and the conversations hashed once per ensemble fit, and each fit's texts are the same
 * strings (whose hashes the fit cache's lookups then need not compute again).
 */
function textAndKey(v: ValidTranscript): { text: string; key: string } {
  let got = known.get(v);
  if (got === undefined) {
    got = { text: targetText(v), key: conversationKey(v) };
    known.set(v, got);
  }
  return got;
}

/**
 * The usable training texts of validated examples: examples whose target sent no text are skipped (and
 * counted); at least 2 bots and 2 humans must remain. Texts of whole conversations come first, in input order,
 * then those of examples marked as prefix cuts (see {@link TrainingTexts.neighbours}).
 *
 * @param valids - the examples, validated
 * @param examples - the same examples, for their labels
 * @throws InvalidOptionsError when fewer than 2 bot or 2 human texts remain
 * @internal
 */
export function trainingTexts(
  valids: readonly ValidTranscript[],
  examples: readonly LabelledTranscript[],
): TrainingTexts {
  const texts: string[] = [];
  const labels: number[] = [];
  const keys: string[] = [];
  let skippedEmpty = 0;
  const cut = examples.map((e) => isPrefixCut(e));
  let neighbours = 0;
  for (const cuts of [false, true]) {
    valids.forEach((v, i) => {
      if (cut[i] !== cuts) return;
      const { text, key } = textAndKey(v);
      if (text === '') {
        skippedEmpty++;
        return;
      }
      texts.push(text);
      labels.push(examples[i]!.label === 'bot' ? 1 : 0);
      keys.push(key);
    });
    if (!cuts) neighbours = texts.length;
  }
  if (neighbours === 0) neighbours = texts.length;
  const bots = labels.reduce((a, b) => a + b, 0);
  const humans = labels.length - bots;
  if (bots < 2 || humans < 2) {
    throw new InvalidOptionsError(
      'examples',
      `fit needs at least 2 bot and 2 human examples whose target sent text; got ${bots} bot and ${humans} human (${skippedEmpty} skipped as empty)`,
    );
  }
  return { texts, labels: Uint8Array.from(labels), keys, bots, humans, skippedEmpty, neighbours };
}
