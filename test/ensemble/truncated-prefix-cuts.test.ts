/**
 * A stacking fit teaches its members and its combiner chats cut after the target's first messages
 * (`memberPrefixCuts`, the combiner's prefix cuts) as what an opening looks like. An example a reader truncated
 * (`truncate`: it carries `truncatedFrom`) starts in the middle of a long chat, so a cut of it would teach the
 * middle of a chat as an opening: none is taken, while the untruncated examples are cut as before.
 */
import { describe, expect, it } from 'vitest';
import type { DetectOptions, Detector } from '../../src/core/detector.js';
import { isPrefixCut } from '../../src/core/training-marks.js';
import type { LabelledTranscript, ValidTranscript } from '../../src/core/transcript.js';
import { parseTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { chat } from '../helpers/transcripts.js';

/** A heuristic member that records what its fits and detections were given. */
function recording(): { member: Detector; cutsFitted: number[]; detectedLengths: number[] } {
  const cutsFitted: number[] = [];
  const detectedLengths: number[] = [];
  const inner = new HeuristicDetector();
  const member = new Proxy(inner, {
    get(target, key) {
      if (key === 'fit') {
        return (ex: LabelledTranscript[], opts?: DetectOptions) => {
          cutsFitted.push(ex.filter((e) => isPrefixCut(e)).length);
          return target.fit(ex, opts);
        };
      }
      // Every transcript the combiner's rows score goes through detect().
      if (key === 'detectPrefixes' || key === 'detectBatch') return undefined;
      if (key === 'detect') {
        return (t: ValidTranscript, opts?: DetectOptions) => {
          detectedLengths.push(t.messages.length);
          return target.detect(t, opts);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { member, cutsFitted, detectedLengths };
}

/** 12 chats of 6 target messages (12 messages), bots and humans alternating. */
const chats: LabelledTranscript[] = Array.from({ length: 12 }, (_, i) => ({
  ...chat(
    'x',
    Array.from({ length: 6 }, (_, m) => [
      `u: question ${m} of ${i}?`,
      i % 2 === 0 ? `x: Certainly ! Here is answer ${m} .` : `x: hmm idk ${m}`,
    ]).flat(),
  ),
  label: i % 2 === 0 ? 'bot' : 'human',
}));

async function fitRecording(examples: readonly LabelledTranscript[]) {
  const r = recording();
  await new Ensemble([r.member], { strategy: 'stacking', folds: 3, memberPrefixCutShare: 1 }).fit([
    ...examples,
  ]);
  return r;
}

describe('a stacking fit on truncated examples', () => {
  it('cuts whole chats for members and combiner (the default memberPrefixCuts [1])', async () => {
    const r = await fitRecording(chats);
    expect(Math.min(...r.cutsFitted)).toBeGreaterThan(0);
    // The combiner's rows: each chat, then its cuts (2 messages after the 1st target message, ...).
    expect(r.detectedLengths).toContain(2);
  });

  it('takes no cut of an example that carries truncatedFrom: its first messages are not an opening', async () => {
    const truncated = chats.map((c) => ({ ...c, truncatedFrom: 400 }));
    const r = await fitRecording(truncated);
    expect(r.cutsFitted.length).toBeGreaterThan(0);
    expect(r.cutsFitted.every((n) => n === 0)).toBe(true);
    expect(r.detectedLengths.length).toBeGreaterThan(0);
    expect(r.detectedLengths.every((n) => n === 12)).toBe(true);
  });

  it('nor of the records the JSONL reader truncated; the whole chats among them are cut as before', async () => {
    const long = (c: LabelledTranscript, i: number) => {
      const filler = Array.from({ length: 20 }, (_, m) => ({ speaker: 'u', text: `earlier ${m} of ${i}` }));
      return JSON.stringify({ ...c, messages: [...filler, ...c.messages] });
    };
    const lines = chats.map((c, i) => (i < 6 ? long(c, i) : JSON.stringify(c)));
    const read = parseTranscriptsJsonl(lines.join('\n'), 'train.jsonl', {
      limits: { maxMessages: 12 },
      truncate: true,
    });
    expect(read.filter((e) => e.truncatedFrom === 32)).toHaveLength(6);
    const r = await fitRecording(read);
    // Every fit holds cuts, all of the untruncated half: 6 (or fewer in a fold) of the chats' 1st-message cuts.
    expect(Math.max(...r.cutsFitted)).toBe(6);
    expect(Math.min(...r.cutsFitted)).toBeGreaterThan(0);
    expect(r.detectedLengths).toContain(2);
  });
});
