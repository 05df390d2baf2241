import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The requests whose answers test/server/answer-golden.test.ts holds to a release's (test/fixtures/service-answers.json,
 * written by scripts/service-answer-fixture.ts), and the digests both compare. Kept here so the script and the test
 * send the same requests and digest them the same way.
 */

type Message = { speaker: string; text: string; timestamp?: number | string };
type Body = { target?: string; messages: Message[]; timeline?: boolean };

/** One request: a POST of `body` as JSON to `url`. */
export interface GoldenRequest {
  url: string;
  body: unknown;
}

/** A library detection read for the digest: the heuristic detector's options and the transcript. */
export interface GoldenLibraryCase {
  options: Record<string, number>;
  transcript: Body;
}

const FIXTURES = resolve(import.meta.dirname, '../fixtures');

/** The transcripts of test/fixtures/heuristic-scores.json (synthetic: Unicode, timestamps, repeats, long chats). */
function fixtureTranscripts(): Body[] {
  const f = JSON.parse(readFileSync(resolve(FIXTURES, 'heuristic-scores.json'), 'utf8')) as {
    cases: { transcript: Body }[];
  };
  return f.cases.map((c) => c.transcript);
}

const example = (): Body =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/transcript.json'), 'utf8')) as Body;

/** Transcripts that reach the sentences the synthetic ones may miss: abstaining, one timed reply, quotes. */
const SPECIAL: Body[] = [
  {
    target: 'b',
    messages: [
      { speaker: 'a', text: 'hi' },
      { speaker: 'b', text: '   ' },
    ],
  },
  {
    target: 'b',
    messages: [
      { speaker: 'a', text: 'when?', timestamp: 1_700_000_000_000 },
      { speaker: 'b', text: 'Now .', timestamp: 1_700_000_000_300 },
    ],
  },
  {
    target: 'b',
    messages: [
      { speaker: 'a', text: 'say "hi" \\ there' },
      { speaker: 'b', text: 'hi "there" \\ 🍜 https://example.com' },
      { speaker: 'b', text: 'hi "there" \\ 🍜 https://example.com' },
    ],
  },
];

/** Every request sent: single detections (with and without a timeline) and a batch. */
export function goldenRequests(): GoldenRequest[] {
  const ts = [example(), ...SPECIAL, ...fixtureTranscripts()];
  return [
    ...ts.map((body) => ({ url: '/v1/detect', body })),
    { url: '/v1/detect', body: { ...ts[0]!, timeline: true } },
    { url: '/v1/detect', body: { ...ts[8]!, timeline: true } },
    { url: '/v1/detect/batch', body: { transcripts: ts.slice(0, 12) } },
  ];
}

/** Library detections whose evidence is digested: default options, the fixture's other options, and shrinkage. */
export function goldenLibraryCases(): GoldenLibraryCase[] {
  const ts = [example(), ...SPECIAL, ...fixtureTranscripts()];
  const options: Record<string, number>[] = [
    {},
    { repeatWindow: 3, minHumanDelayMs: 700, maxHumanCharsPerSecond: 9 },
    { evidenceShrinkage: 1 },
  ];
  return ts.flatMap((transcript) => options.map((o) => ({ options: o, transcript })));
}

/** SHA-256 of a text, hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A lossless text of a value read from the library, for a deep-equality digest: every own enumerable key in
 * order, and numbers JSON cannot tell apart (-0, NaN, ±Infinity) and `undefined` spelled out; `elapsedMs` as 0.
 */
export function exactText(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === 'elapsedMs') return 0;
    if (v === undefined) return 'undefined!';
    if (typeof v !== 'number') return v;
    if (Object.is(v, -0)) return '-0!';
    return Number.isFinite(v) ? v : `${v}!`;
  });
}
