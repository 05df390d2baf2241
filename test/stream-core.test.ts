import { describe, expect, it } from 'vitest';
import type { Detection, Detector } from '../src/core/detector.js';
import { openStream, recomputingStream } from '../src/core/stream.js';
import { detectTimeline } from '../src/core/timeline.js';
import type { Message, Transcript } from '../src/core/transcript.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';

/** The heuristic detector seen through the contract only (no `stream`), so openStream falls back to recomputing. */
function recomputing(inner = new HeuristicDetector()): Detector & { calls: number } {
  const d = {
    name: 'recomputed',
    calls: 0,
    detect: async (t: Transcript, o?: { signal?: AbortSignal }): Promise<Detection> => {
      d.calls++;
      return { ...(await inner.detect(t, o)), detector: 'recomputed' };
    },
  };
  return d;
}

const chat: Message[] = [
  { speaker: 'a', text: 'hey, anyone here?', timestamp: 1000 },
  { speaker: 'a', text: 'hello??', timestamp: 4000 },
  { speaker: 'b', text: 'Hello ! How can I help you today ?', timestamp: 4300 },
  { speaker: 'a', text: 'my order is late', timestamp: 9000 },
  { speaker: 'b', text: "i 'm sorry to hear that . what is your order number ?", timestamp: 9400 },
  { speaker: 'a', text: '12345', timestamp: 15000 },
  { speaker: 'b', text: 'Thank you ! I will check it now .', timestamp: 15200 },
];

describe('recomputingStream (openStream on a detector without stream())', () => {
  it('abstains before the target’s first message, then equals detect() on the messages so far', async () => {
    const det = recomputing();
    const live = openStream(det, { target: 'b' });
    const first = await live.push(chat[0]!);
    expect(first.score).toBeNull();
    expect(first.detector).toBe('recomputed');
    expect(first.evidence[0]!.sentence).toMatch(/not sent a message yet/);
    expect(det.calls).toBe(0);
    await live.push(chat[1]!);
    const d = await live.push(chat[2]!);
    const whole = await det.detect({ target: 'b', messages: chat.slice(0, 3) });
    expect(d.score).toBe(whole.score);
    expect(live.detection()).toBe(d);
  });

  it('keeps detections in message order when pushes are not awaited', async () => {
    const live = recomputingStream(recomputing(), { target: 'b' });
    const all = await Promise.all(chat.map((m) => live.push(m)));
    const heuristic = new HeuristicDetector();
    for (let i = 2; i < chat.length; i++) {
      expect(all[i]!.score).toBe(
        (await heuristic.detect({ target: 'b', messages: chat.slice(0, i + 1) })).score,
      );
    }
    expect(live.detection()).toBe(all[all.length - 1]);
  });

  it('rejects a bad message or a backwards timestamp without keeping it, and the stream goes on', async () => {
    const live = recomputingStream(recomputing(), { target: 'b' });
    await live.push(chat[0]!);
    const bad = await live.push({ speaker: 7 } as unknown as Message).catch((e: unknown) => e);
    expect(InvalidTranscriptError.isInstance(bad)).toBe(true);
    expect((bad as InvalidTranscriptError).issues[0]!.path).toMatch(/^messages\[1\]/);
    await expect(live.push({ speaker: 'b', text: 'x', timestamp: 10 })).rejects.toThrow(/goes backwards/);
    const d = await live.push(chat[2]!);
    const whole = await new HeuristicDetector().detect({ target: 'b', messages: [chat[0]!, chat[2]!] });
    expect(d.score).toBe(whole.score);
  });

  it('honours an aborted signal and forgets that message', async () => {
    const det = recomputing();
    const live = recomputingStream(det, { target: 'b' });
    await live.push(chat[2]!);
    const ac = new AbortController();
    ac.abort();
    await expect(live.push(chat[3]!, { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
    const d = await live.push(chat[4]!);
    const whole = await new HeuristicDetector().detect({ target: 'b', messages: [chat[2]!, chat[4]!] });
    expect(d.score).toBe(whole.score);
  });

  it('a push the detector rejects (over its message limit) leaves the stream as it was', async () => {
    const inner = new HeuristicDetector({ limits: { maxMessages: 2 } });
    const live = recomputingStream(recomputing(inner), { target: 'b' });
    await live.push(chat[2]!);
    await live.push(chat[3]!);
    await expect(live.push(chat[4]!)).rejects.toThrow(/more than 2 messages/);
    expect(live.detection()?.score).toBe(
      (await inner.detect({ target: 'b', messages: [chat[2]!, chat[3]!] })).score,
    );
  });

  it('refuses a stream without a target', () => {
    expect(() => recomputingStream(recomputing(), { target: '' })).toThrow(InvalidTranscriptError);
    expect(() => openStream(new HeuristicDetector(), {} as never)).toThrow(InvalidTranscriptError);
  });
});

describe('detectTimeline', () => {
  it('scores after each target message, from the incremental stream and the recomputing one alike', async () => {
    const t: Transcript = { target: 'b', messages: chat };
    const heuristic = new HeuristicDetector();
    const fast = await detectTimeline(heuristic, t);
    const slow = await detectTimeline(recomputing(), t);
    expect(fast.map((p) => p.messageIndex)).toEqual([2, 4, 6]);
    expect(fast.map((p) => p.targetMessages)).toEqual([1, 2, 3]);
    expect(slow.map((p) => p.score)).toEqual(fast.map((p) => p.score));
    expect(fast[2]!.score).toBe((await heuristic.detect(t)).score);
  });

  it('reads long chats when the limits allow them, and stops when aborted', async () => {
    const messages: Message[] = Array.from({ length: 1200 }, (_, i) => ({
      speaker: i % 2 ? 'b' : 'a',
      text: `message number ${i} ${i % 7 === 0 ? 'what do you do for fun ?' : 'ok'}`,
    }));
    const t: Transcript = { target: 'b', messages };
    const detector = new HeuristicDetector({ limits: { maxMessages: 2000 } });
    await expect(detectTimeline(detector, t)).rejects.toThrow(/more than 200 messages/);
    const points = await detectTimeline(detector, t, { limits: { maxMessages: 2000 } });
    expect(points).toHaveLength(600);
    expect(points[599]!.score).toBe((await detector.detect(t)).score);
    const ac = new AbortController();
    ac.abort();
    await expect(
      detectTimeline(detector, t, { limits: { maxMessages: 2000 }, signal: ac.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    const live = detector.stream({ target: 'b' });
    const before = await live.push(messages[0]!);
    await expect(live.push(messages[1]!, { signal: ac.signal })).rejects.toThrow(/heuristic stream/);
    expect(live.detection()).toBe(before); // the aborted message was not taken
    const after = await live.push(messages[1]!);
    expect(after.score).toBe((await detector.detect({ target: 'b', messages: messages.slice(0, 2) })).score);
  });
});
