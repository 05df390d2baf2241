import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heuristicEnsemble, libraryAccepts, startServer } from './start-server.js';

/**
 * Property-based fuzzing of the service against the library, over real HTTP: random and mutated transcripts
 * never get a 5xx, never stop the process, and get 200 exactly when `validateTranscript` accepts them.
 * Bounded: a fixed seed and a few hundred cases. The inputs avoid `profile.avatar` strings that are not data URLs
 * (the one documented difference: the service reads no paths) and `__proto__` keys (refused by the JSON parser).
 */

const anyValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}),
);
const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    'Hello ! How are you ?',
    'lol',
    'https://x.y/z',
    '😀😀',
    'a\u0000b',
    'x'.repeat(10_001),
  ),
);
const speaker = fc.oneof(fc.constantFrom('a', 'b', 'bot'), fc.string({ maxLength: 4 }));
const timestamp = fc.oneof(
  fc.nat({ max: 2_000_000_000_000 }),
  fc.constantFrom('2024-05-01T10:00:00Z', '2024-05-01', 'yesterday', -5, 1e308),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const message = fc.record(
  { speaker, text, timestamp, extra: anyValue },
  { requiredKeys: ['speaker', 'text'] },
);
const transcript = fc.record(
  {
    target: speaker,
    messages: fc.array(message, { minLength: 0, maxLength: 8 }),
    profile: fc.record(
      {
        bio: fc.oneof(fc.string({ maxLength: 30 }), anyValue),
        avatar: fc.constantFrom('data:image/png;base64,iVBORw0KGgo=', 5, ''),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['messages'] },
);

/** Replaces one value somewhere in the object by a random one (wrong types, nulls, arrays...). */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(value)
    ? ([...value] as unknown as Record<string, unknown>)
    : { ...value };
  copy[key] = mutate((value as Record<string, unknown>)[key], path.slice(1), replacement);
  return copy;
}

const mutated = fc
  .tuple(transcript, fc.array(fc.nat(), { maxLength: 4 }), anyValue)
  .map(([t, path, v]) => mutate(t, path, v));

const safeJson = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));

describe('fuzzing the service against the library', () => {
  it('never answers 5xx, and answers 200 exactly when the library accepts the transcript', async () => {
    const { base, post } = await startServer(heuristicEnsemble());
    await fc.assert(
      fc.asyncProperty(fc.oneof(transcript, mutated, safeJson), async (input) => {
        const r = await post('/v1/detect', input === undefined ? 'null' : input);
        const body = await r.text();
        expect(r.status, body).toBeLessThan(500);
        const accepted = libraryAccepts(JSON.parse(JSON.stringify(input ?? null)));
        expect(
          r.status === 200,
          `library ${accepted ? 'accepts' : 'rejects'}; service ${r.status} ${body.slice(0, 300)}`,
        ).toBe(accepted);
        if (r.status !== 200) expect(JSON.parse(body)).toHaveProperty('code');
      }),
      { numRuns: 300, seed: 1309 },
    );
    // mutated bytes: truncated or corrupted JSON is a 400, never a 5xx
    await fc.assert(
      fc.asyncProperty(transcript, fc.nat(), fc.string({ maxLength: 3 }), async (t, at, junk) => {
        const json = JSON.stringify(t);
        const cut = at % (json.length + 1);
        const raw = json.slice(0, cut) + junk + json.slice(cut + 1);
        const r = await post('/v1/detect', raw);
        expect(r.status).toBeLessThan(500);
        let parsed: unknown;
        let parses = true;
        try {
          parsed = JSON.parse(raw);
        } catch {
          parses = false;
        }
        const expected = parses && !raw.includes('"__proto__"') && libraryAccepts(parsed);
        expect(r.status === 200, `${r.status} for ${raw.slice(0, 200)}`).toBe(expected);
      }),
      { numRuns: 150, seed: 1310 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(transcript, mutated), { minLength: 1, maxLength: 4 }),
        async (ts) => {
          const r = await post('/v1/detect/batch', { transcripts: ts });
          expect(r.status).toBeLessThan(500);
          expect(r.status === 200).toBe(ts.every((t) => libraryAccepts(JSON.parse(JSON.stringify(t)))));
        },
      ),
      { numRuns: 60, seed: 1311 },
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 120_000);
});
