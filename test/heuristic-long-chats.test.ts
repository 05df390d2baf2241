import { describe, expect, it } from 'vitest';
import type { Message, Transcript } from '../src/core/transcript.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { words } from '../src/detectors/heuristic/text-utils.js';

const LINES = [
  'hello ! how are you today ?',
  "i 'm fine . what do you do for a living ?",
  'I love to read books. What is your favourite one?',
  'ok',
  'haha my cat hates me 😂',
  'see www.example.com for more',
];

function longChat(n: number): Transcript {
  const messages: Message[] = [];
  let t = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    t += i % 2 ? 400 + (i % 13) * 50 : 3000 + ((i * 7919) % 9000);
    messages.push({
      speaker: i % 2 ? 'b' : 'a',
      text: `${LINES[(i * 5) % LINES.length]} ${i % 9 === 0 ? i : ''}`,
      timestamp: t,
    });
  }
  return { target: 'b', messages };
}

/** Mean over messages 2.. of the highest Jaccard overlap with one of the `window` messages before (directly). */
function nearRepeatMean(mine: string[][], window: number): number {
  let sum = 0;
  for (let i = 1; i < mine.length; i++) {
    const a = new Set(mine[i]);
    let best = 0;
    for (let j = Math.max(0, i - window); j < i; j++) {
      const b = new Set(mine[j]);
      const inter = [...a].filter((x) => b.has(x)).length;
      best = Math.max(best, inter / (a.size + b.size - inter));
    }
    sum += best;
  }
  return sum / (mine.length - 1);
}

/** Fastest wall time of `runs` calls of `f`, in ms (the run least disturbed by other processes). */
async function fastest(f: () => Promise<unknown>, runs = 5): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return Math.min(...ts);
}

describe('HeuristicDetector on long chats', () => {
  const detector = new HeuristicDetector({ limits: { maxMessages: 10_000 } });
  const big = longChat(5000);

  it('refuses more than 200 messages by default, naming the limit to raise', async () => {
    await expect(new HeuristicDetector().detect(big)).rejects.toThrow(/raise maxMessages/);
  });

  it('scores 5,000 messages correctly once maxMessages is raised', async () => {
    const d = await detector.detect(big);
    expect(d.score).not.toBeNull();
    expect(d.support).toEqual({
      targetMessages: 2500,
      targetCharacters: big.messages.filter((m) => m.speaker === 'b').reduce((s, m) => s + m.text.length, 0),
    });
    // Against direct computations of three signals.
    const mine = big.messages.filter((m) => m.speaker === 'b').map((m) => words(m.text));
    const f = detector.features(big).values;
    expect(f.mean_words).toBeCloseTo(mine.reduce((s, w) => s + w.length, 0) / mine.length, 12);
    const seen = new Set<string>();
    let repeats = 0;
    for (const w of mine) {
      const k = w.join(' ');
      if (seen.has(k)) repeats++;
      seen.add(k);
    }
    expect(f.exact_repeat_share).toBeCloseTo(repeats / mine.length, 12);
    expect(f.near_repeat_mean).toBeCloseTo(nearRepeatMean(mine, 32), 12);
    // A window over 32 messages takes the inverted index instead of the bit masks.
    const wide = new HeuristicDetector({ limits: { maxMessages: 10_000 }, repeatWindow: 45 });
    expect(wide.features(big).values.near_repeat_mean).toBeCloseTo(nearRepeatMean(mine, 45), 12);
    // The stream ends where detect() does.
    const live = detector.stream({ target: 'b' });
    for (const m of big.messages) await live.push(m);
    expect(live.detection()!.score).toBe(d.score);
  });

  it('stays linear: 5,000 messages cost about 10x what 500 do, far from the 100x of quadratic work', async () => {
    const small = longChat(500);
    await fastest(() => detector.detect(big), 3); // warm-up
    const tSmall = await fastest(async () => {
      for (let i = 0; i < 10; i++) await detector.detect(small);
    });
    const tBig = await fastest(() => detector.detect(big));
    // tSmall is ten 500-message calls: a linear detector gives tBig ≈ tSmall; quadratic ≈ 10x. Generous bound
    // for a busy machine.
    expect(tBig).toBeLessThan(tSmall * 4 + 5);
    expect(tBig).toBeLessThan(1000);
  });
});

describe('a long chat validated with raised limits', () => {
  it('passes later validation with the defaults as it is, and stricter explicit limits re-check it', async () => {
    const { validateTranscript } = await import('../src/core/validate.js');
    const v = validateTranscript(longChat(600), { maxMessages: 1000 });
    expect(validateTranscript(v)).toBe(v);
    expect(validateTranscript(v, { maxMessages: 2000 })).toBe(v);
    expect(() => validateTranscript(v, { maxMessages: 300 })).toThrow(/more than 300 messages/);
    // So a detector with the default limits can still read it.
    expect((await new HeuristicDetector().detect(v)).score).not.toBeNull();
  });
});
