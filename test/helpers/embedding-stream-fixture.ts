import { expect } from 'vitest';
import type { Detection } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { seededRandom } from '../../src/numeric/random.js';

const BOT = ['Hello ! How are you today ?', "i 'm a teacher . do you have any pets ?", 'I love to read .'];
const HUMAN = ['hey whats up', 'lol yeah', 'brb getting coffee', 'nah not really, you?'];

/** `n` synthetic conversations (a bot and a human target each), seeded. */
export function labelled(n: number): LabelledTranscript[] {
  const r = seededRandom(7);
  const out: LabelledTranscript[] = [];
  for (let i = 0; i < n; i++) {
    const messages: Transcript['messages'] = [];
    for (let t = 0; t < 3 + (i % 3); t++) {
      messages.push({ speaker: 'human', text: `${HUMAN[Math.floor(r() * HUMAN.length)]!} ${i}` });
      messages.push({ speaker: 'bot', text: BOT[Math.floor(r() * BOT.length)]! });
    }
    out.push({ messages, target: 'bot', label: 'bot' }, { messages, target: 'human', label: 'human' });
  }
  return out;
}

/**
 * The stream and detect() compute the same sums in another order (the stream adds each message's changes as it
 * arrives): scores and evidence values agree within 1e-12, labels, neighbours and sentences exactly.
 */
export function expectSameDetection(a: Detection, b: Detection): void {
  if (a.score === null || b.score === null) expect(a.score).toBe(b.score);
  else expect(Math.abs(a.score - b.score)).toBeLessThanOrEqual(1e-12);
  expect(a.label).toBe(b.label);
  expect(a.support).toEqual(b.support);
  expect(a.evidence.map((e) => [e.name, e.sentence])).toEqual(b.evidence.map((e) => [e.name, e.sentence]));
  const near = (x: unknown, y: unknown): void => {
    if (typeof x === 'number' && typeof y === 'number') expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-12);
    else if (Array.isArray(x) && Array.isArray(y)) {
      expect(x.length).toBe(y.length);
      x.forEach((v, i) => {
        near(v, y[i]);
      });
    } else if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) {
      expect(Object.keys(x)).toEqual(Object.keys(y));
      for (const k of Object.keys(x))
        near((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]);
    } else expect(x).toEqual(y);
  };
  a.evidence.forEach((e, i) => {
    near(e.value, b.evidence[i]!.value);
    near(e.contribution, b.evidence[i]!.contribution);
  });
}
