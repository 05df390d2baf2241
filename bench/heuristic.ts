/**
 * Time of HeuristicDetector.detect() on a 200-message transcript, beside the cost of validating that
 * transcript, measured in one run.
 *
 *   npx tsx bench/heuristic.ts
 */
import type { Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';

const HUMAN = [
  'hey whats up',
  'lol yeah',
  'i was at the beach all day, so tired now',
  'Do you like dogs?',
  'ok',
  'my sister has two cats and they hate me haha',
  'wait what do you mean',
  'Honestly I never thought about it that way. Maybe you are right 🙂',
];
const BOT = [
  'Hello ! How are you today ?',
  "i 'm doing well . what do you do for a living ?",
  'I love to read books. What is your favorite book? ',
  'That sounds great. I like to go hiking with my dog.',
  "i 'm a teacher . do you have any pets ?",
  'I love to read. I also like to play video games. ',
];

/** A 200-message two-speaker transcript; `timed` adds ISO timestamps. */
function makeTranscript(timed: boolean): Transcript {
  const messages: Transcript['messages'] = [];
  let t = Date.UTC(2024, 4, 1, 10);
  for (let i = 0; i < 200; i++) {
    const human = i % 2 === 0;
    const pool = human ? HUMAN : BOT;
    const text = `${pool[(i * 7) % pool.length]!}${i % 5 === 0 ? ` (${i})` : ''}`;
    t += human ? 2000 + ((i * 7919) % 9000) : 600;
    messages.push(
      timed
        ? { speaker: human ? 'alice' : 'bot', text, timestamp: new Date(t).toISOString() }
        : { speaker: human ? 'alice' : 'bot', text },
    );
  }
  return { target: 'bot', messages };
}

/**
 * Milliseconds per call of `fn`: calls run in batches of 50 for about `budgetMs` after a warm-up; the median
 * batch is reported (robust to other processes sharing the CPU), with the fastest batch beside it.
 */
async function time(
  fn: () => unknown,
  budgetMs = 800,
): Promise<{ median: number; best: number; calls: number }> {
  for (let i = 0; i < 300; i++) await fn();
  const perCall: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await fn();
    perCall.push((performance.now() - t0) / 50);
  }
  perCall.sort((a, b) => a - b);
  return { median: perCall[perCall.length >> 1]!, best: perCall[0]!, calls: perCall.length * 50 };
}

const detector = new HeuristicDetector();
const us = (ms: number): string => `${(ms * 1000).toFixed(1).padStart(8)} µs`;

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.log('per call, median batch (fastest batch)');
console.log(
  'transcript                   validate (plain input)   detect (validated input)   detect / validate',
);
for (const timed of [false, true]) {
  const plain = makeTranscript(timed);
  const valid = validateTranscript(plain);
  const v = await time(() => validateTranscript(plain));
  const d = await time(() => detector.detect(valid));
  const label = `200 msgs, ${timed ? 'timestamps' : 'no timestamps'}`.padEnd(28);
  console.log(
    `${label} ${us(v.median)} (${us(v.best).trim()})    ${us(d.median)} (${us(d.best).trim()})    ${(d.median / v.median).toFixed(2).padStart(8)}x`,
  );
}
const cached = validateTranscript(makeTranscript(true));
const c = await time(() => validateTranscript(cached));
console.log(`validate (already validated, cached): ${us(c.median).trim()}`);
