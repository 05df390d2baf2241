/**
 * What truncation cut is visible to a library user: `truncatedFrom()` of what `readTranscriptJson` returns, and
 * the `truncatedFrom` field of the JSONL readers' records, the number the service and the CLI report, so a
 * timeline of a truncated chat can count its messages from the chat's start (`messageOffset`).
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { detectTimeline } from '../../src/core/timeline.js';
import { readTranscriptJson, readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { evaluateDetector } from '../../src/eval/evaluate.js';
import { truncatedFrom } from '../../src/index.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-truncated-from-');

/** A chat of `n` messages alternating between the user and the bot (the target), the user first. */
function chat(n: number) {
  const messages = Array.from({ length: n }, (_, i) => ({
    speaker: i % 2 === 0 ? 'user' : 'bot',
    text: `message number ${i} of the chat`,
  }));
  return { target: 'bot', label: 'bot' as const, messages };
}

describe('truncatedFrom: how much truncate cut, for the library', () => {
  it('readTranscriptJson: truncatedFrom(t) is the original count, and gives the timeline its messageOffset', async () => {
    const path = work.path('long.json');
    await writeFile(path, JSON.stringify(chat(250)));
    const t = await readTranscriptJson(path, { truncate: true });
    expect(t.messages).toHaveLength(200);
    expect(truncatedFrom(t)).toBe(250);
    const points = await detectTimeline(new HeuristicDetector(), t, {
      messageOffset: truncatedFrom(t)! - t.messages.length,
    });
    expect(points.at(-1)!.messageIndex).toBe(249);
    // Nothing cut: undefined.
    expect(truncatedFrom(await readTranscriptJson(path, { limits: { maxMessages: 300 } }))).toBeUndefined();
  });

  it('readTranscriptsJsonl: each cut record carries truncatedFrom (kept by a copy); the others do not', async () => {
    const path = work.path('long.jsonl');
    await writeFile(path, `${JSON.stringify(chat(250))}\n${JSON.stringify(chat(10))}\n`);
    const [cut, whole] = await readTranscriptsJsonl(path, { truncate: true });
    expect(cut!.messages).toHaveLength(200);
    expect(cut!.truncatedFrom).toBe(250);
    expect(truncatedFrom({ ...cut! })).toBe(250);
    expect(whole!.truncatedFrom).toBeUndefined();
    expect(truncatedFrom(whole!)).toBeUndefined();
  });
});

describe('evaluateDetector: a prefix counts from the chat start, never from a truncation cut', () => {
  it('refuses a prefix on records read with truncate, saying to read whole and pass truncate', async () => {
    const path = work.path('eval.jsonl');
    await writeFile(path, `${JSON.stringify(chat(250))}\n`);
    const rows = await readTranscriptsJsonl(path, { truncate: true });
    for (const labelled of [rows, rows.map((r) => ({ ...r }))]) {
      await expect(evaluateDetector(new HeuristicDetector(), labelled, { prefix: 3 })).rejects.toThrow(
        /Invalid option "prefix": labelled\[0\] was cut to its last 200 of 250 messages when it was read \(truncate\).*read the data without truncate.*truncate: true/,
      );
    }
  });

  it('truncate: the prefix is taken from the start, then what is left is cut to its last maxMessages', async () => {
    const path = work.path('whole.jsonl');
    await writeFile(path, `${JSON.stringify(chat(250))}\n`);
    const whole = await readTranscriptsJsonl(path, { limits: { maxMessages: 1000 } });
    const detector = new HeuristicDetector();
    // Short prefix: nothing left to cut, the verdict is the one on the chat's first 3 target messages.
    const early = await evaluateDetector(detector, whole, { prefix: 3, truncate: true });
    const first = await detector.detect({ ...chat(250), messages: chat(250).messages.slice(0, 6) });
    expect(early.truncated).toBe(0);
    expect(early.ece).toBeCloseTo(1 - first.score!, 12);
    // Long prefix (the 120th target message is message 239): cut after it, then to the last 50.
    const late = await evaluateDetector(detector, whole, {
      prefix: 120,
      truncate: true,
      limits: { maxMessages: 50 },
    });
    const last50 = await detector.detect({ ...chat(250), messages: chat(250).messages.slice(190, 240) });
    expect(late.truncated).toBe(1);
    expect(late.ece).toBeCloseTo(1 - last50.score!, 12);
  });
});
