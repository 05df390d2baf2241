import type { ScoringDetector } from '../../src/corpus/types.js';

const BOT = [
  'Hello ! I am happy to help you . What kind of food do you like ?',
  'That is great ! I like food too . What do you do for fun ?',
  'I am not sure what you mean . What do you do for a living ?',
  'I love to read books . Do you have any pets ?',
];
const HUMAN = [
  'lol no idea, ask maya',
  'uh, ramen? like i said 🍜',
  'brb grabbing coffee',
  'honestly the 2nd one was better, the sequel dragged',
  'wait what time is the thing tmrw??',
];

/** A deterministic synthetic speaker-level corpus: `n` JSONL lines, alternating bot-like and human-like targets. */
export function syntheticCorpus(n: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const pool = i % 2 === 0 ? BOT : HUMAN;
    const messages = [];
    for (let k = 0; k < 4 + (i % 5); k++) {
      messages.push({ speaker: 'other', text: HUMAN[(i + k) % HUMAN.length]! });
      messages.push({
        speaker: 'target',
        text: `${pool[(i * 7 + k) % pool.length]!}${k === i % 3 ? ' ok' : ''}`,
      });
    }
    lines.push(JSON.stringify({ id: `t${i}`, target: 'target', messages }));
  }
  return lines;
}

/** The heuristic-only ensemble, as plain data. */
export const HEURISTIC: ScoringDetector = {
  ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] },
};
