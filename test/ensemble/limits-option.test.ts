import { describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { isMemberFailure } from '../../src/ensemble/run-members.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../../src/errors/invalid-transcript-error.js';

/** A chat of `n` messages, the bot and a person taking turns. */
function longChat(n: number): Transcript {
  return {
    target: 'bot',
    messages: Array.from({ length: n }, (_, i) =>
      i % 2 === 1
        ? { speaker: 'bot', text: `Hello ! I am happy to help you with item ${i} .` }
        : { speaker: 'ann', text: `ok so what about ${i}? lol` },
    ),
  };
}

/** The error a call rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('Ensemble limits option', () => {
  const chat = longChat(1500);

  it('reads a long chat with limits raised on the ensemble: detect, detectBatch and stream agree with the member', async () => {
    const ens = new Ensemble([new HeuristicDetector()], { limits: { maxMessages: 1500 } });
    const alone = await new HeuristicDetector({ limits: { maxMessages: 1500 } }).detect(chat);
    const d = await ens.detect(chat);
    expect(d.score).toBe(alone.score);
    expect(d.members.every((m) => !isMemberFailure(m))).toBe(true);
    expect((await ens.detectBatch([chat]))[0]!.score).toBe(alone.score);
    const s = ens.stream({ target: 'bot' });
    let last: number | null | undefined;
    for (const m of chat.messages) last = (await s.push(m)).score;
    expect(last).toBeCloseTo(alone.score!, 12);
  });

  it("refuses a chat past the ensemble's limit with a message that says to raise it on the ensemble, even when the members' are raised", async () => {
    const ens = new Ensemble([new HeuristicDetector({ limits: { maxMessages: 1500 } })]);
    for (const p of [ens.detect(chat), ens.detectBatch([chat])]) {
      const err = await rejection(p);
      expect(InvalidTranscriptError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(/more than 200 messages/);
      expect(err.message).toContain('new Ensemble(members, { limits: { maxMessages:');
    }
    // detect() knows the chat's length: the limit it suggests reads it.
    expect((await rejection(ens.detect(chat))).message).toContain('{ limits: { maxMessages: 1500 } }');
    const s = ens.stream({ target: 'bot' });
    for (const m of chat.messages.slice(0, 200)) await s.push(m);
    const err = await rejection(s.push(chat.messages[200]!));
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    expect(err.message).toContain('new Ensemble(members, { limits: { maxMessages:');
    // A limit below the defaults is the ensemble's too.
    const short = new Ensemble([new HeuristicDetector()], { limits: { maxMessages: 10 } });
    expect((await rejection(short.detect(longChat(11)))).message).toMatch(/more than 10 messages/);
  });

  it('checks the limits at construction, as a detector does', () => {
    const make = (limits: unknown) => () =>
      new Ensemble([new HeuristicDetector()], { limits: limits as { maxMessages: number } });
    expect(make({ maxMesages: 500 })).toThrow(InvalidOptionsError);
    expect(make({ maxMesages: 500 })).toThrow(/limits\.maxMesages.*did you mean "maxMessages"/);
    expect(make({ maxMessages: -1 })).toThrow(
      /"maxMessages": expected a whole number of messages, at least 1/,
    );
    expect(make({ minMessages: 5, maxMessages: 2 })).toThrow(
      /"maxMessages": .*at least 5 \(minMessages\), got 2/,
    );
  });

  it('reports a member whose own limits are stricter as failed, under its name, and scores with the others', async () => {
    const low = new HeuristicDetector({ name: 'low', limits: { maxMessages: 300 } });
    const ens = new Ensemble([low, new HeuristicDetector()], { limits: { maxMessages: 1500 } });
    const d = await ens.detect(chat);
    const failed = d.members.filter(isMemberFailure);
    expect(failed.map((m) => m.detector)).toEqual(['low']);
    expect(failed[0]!.error.message).toMatch(/more than 300 messages/);
    expect(d.score).not.toBeNull();
    expect(d.explanation.join('\n')).toMatch(/"low" failed/);
  });
});

describe('Ensemble stream after dispose()', () => {
  it("rejects every push with the DISPOSED error, a partner's message included", async () => {
    const ens = new Ensemble([new HeuristicDetector()]);
    const s = ens.stream({ target: 'bot' });
    await s.push({ speaker: 'bot', text: 'Hello ! How are you today ?' });
    await ens.dispose();
    for (const m of [
      { speaker: 'ann', text: 'lol' },
      { speaker: 'bot', text: 'I love to read .' },
      { speaker: 'ann', text: 'ok' },
    ]) {
      const err = await rejection(s.push(m));
      expect((err as Error & { code?: string }).code, m.text).toBe('DISPOSED');
      expect(err.message).toMatch(/Ensemble "ensemble" was disposed/);
    }
  });
});
