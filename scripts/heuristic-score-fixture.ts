/**
 * Writes test/fixtures/heuristic-scores.json: transcripts with the scores the STARTING implementation of the
 * heuristic detector gave them, so test/heuristic-equality.test.ts can hold today's code to the same scores
 * without that implementation: its scores, each signal's contribution, and a SHA-256 digest of its evidence (every
 * name, value, sentence and contribution, in order), so the evidence text cannot drift either. Run once,
 * against the starting checkout (by default /work/base2):
 *
 *   BOTLENS_BASE_DIR=/work/base2 npx tsx scripts/heuristic-score-fixture.ts
 *
 * The transcripts are synthetic (a seeded generator: ASCII and Unicode text, emoji, links, tokenizer spacing,
 * blank messages, exact and near repeats, ISO and epoch timestamps, long transcripts), plus the scores of every
 * ConvAI dev row by id when ../shared is present (the rows themselves are not copied: their license is not
 * stated).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const base = process.env['BOTLENS_BASE_DIR'] ?? '/work/base2';
const root = resolve(import.meta.dirname, '..');
type Msg = { speaker: string; text: string; timestamp?: number | string };
type T = { target: string; messages: Msg[] };
interface Det {
  detect(t: T): Promise<{ score: number | null; evidence: { name: string; contribution?: number }[] }>;
}

/** The digest test/heuristic-equality.test.ts recomputes: SHA-256 of the evidence as JSON. */
function evidenceDigest(evidence: unknown): string {
  return createHash('sha256').update(JSON.stringify(evidence)).digest('hex');
}
const { HeuristicDetector } = (await import(
  resolve(base, 'src/detectors/heuristic/heuristic-detector.ts')
)) as {
  HeuristicDetector: new (o?: object) => Det;
};

let seed = 20240501;
const rand = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;

const PIECES = [
  'hello',
  'Hello !',
  "i 'm fine .",
  'what do you do for a living ?',
  'lol',
  'ok',
  'haha',
  'I love to read.',
  'Do you like dogs?',
  "don't know",
  "I do n't know",
  'sure thing',
  'www.example.com',
  'see https://x.io/a?b=1',
  '😂',
  '👍🏽',
  '🇫🇷',
  'café',
  'naïve résumé',
  'مرحبا كيف حالك؟',
  '你好吗？',
  'Ça va ?',
  'l’été',
  'WHAT',
  'Yes. No! Maybe?',
  '...',
  '?!',
  '"quoted."',
  '(really?)',
  'e\u0301te\u0301',
  'tab\there',
  'line\nbreak',
  '   ',
  '',
  '12 34',
  'its 5pm',
  "it' s",
  'hello ,',
  'fine .',
  'ok ',
  'trailing space ',
  'İstanbul',
  'ß',
  'Σίσυφος',
  '—',
  '…',
];

function text(): string {
  const k = 1 + Math.floor(rand() * 4);
  const parts: string[] = [];
  for (let i = 0; i < k; i++) parts.push(pick(PIECES));
  return parts.join(pick([' ', ' ', '', '. ', '\n']));
}

function transcript(n: number, timing: 'none' | 'epoch' | 'iso' | 'mixed', repeaty: boolean): T {
  const messages: Msg[] = [];
  let t = 1_700_000_000_000 + Math.floor(rand() * 1e9);
  const own: string[] = [];
  for (let i = 0; i < n; i++) {
    const speaker = rand() < 0.5 ? 'a' : rand() < 0.9 ? 'b' : 'c';
    let s = text();
    if (speaker === 'b' && repeaty && own.length > 0 && rand() < 0.4) s = pick(own);
    if (speaker === 'b') own.push(s);
    const m: Msg = { speaker, text: s };
    t += Math.floor(rand() * (rand() < 0.3 ? 800 : 20_000));
    if (timing === 'epoch' || (timing === 'mixed' && rand() < 0.5)) m.timestamp = t;
    else if (timing === 'iso' || (timing === 'mixed' && rand() < 0.5))
      m.timestamp = new Date(t).toISOString();
    messages.push(m);
  }
  if (!messages.some((m) => m.speaker === 'b')) messages.push({ speaker: 'b', text: 'hi' });
  return { target: 'b', messages };
}

const OPTIONS = [{}, { repeatWindow: 3, minHumanDelayMs: 700, maxHumanCharsPerSecond: 9 }];
const cases: {
  options: object;
  transcript: T;
  score: number | null;
  contributions: [string, number][];
  evidenceSha256: string;
}[] = [];
for (let k = 0; k < 64; k++) {
  const n = k < 8 ? 1 + k : k < 56 ? 5 + Math.floor(rand() * 40) : 150 + Math.floor(rand() * 50);
  const timing = (['none', 'epoch', 'iso', 'mixed'] as const)[k % 4]!;
  const options = OPTIONS[k % 5 === 4 ? 1 : 0]!;
  const t = transcript(n, timing, k % 3 === 0);
  const d = await new HeuristicDetector(options).detect(t);
  cases.push({
    options,
    transcript: t,
    score: d.score,
    contributions: d.evidence.map((e) => [e.name, e.contribution ?? 0]),
    evidenceSha256: evidenceDigest(d.evidence),
  });
}

const dev = resolve(root, '../shared/data/convai-bots/dev.jsonl');
const convaiDev: Record<string, number | null> = {};
if (existsSync(dev)) {
  const detector = new HeuristicDetector();
  for (const line of readFileSync(dev, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as T & { id: string };
    convaiDev[row.id] = (await detector.detect(row)).score;
  }
}

const out = resolve(root, 'test/fixtures/heuristic-scores.json');
writeFileSync(out, `${JSON.stringify({ generatedFrom: `the checkout at ${base}`, cases, convaiDev })}\n`);
console.log(`wrote ${out}: ${cases.length} transcripts, ${Object.keys(convaiDev).length} ConvAI dev scores`);
