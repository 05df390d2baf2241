import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as botlens } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-long-'));
/** A chat of `2 * turns` messages; bots answer in a stiff, spaced style. */
const chat = (label: 'bot' | 'human', i: number, turns: number) => ({
  target: 'x',
  label,
  messages: Array.from({ length: turns }, (_, k) => [
    { speaker: 'u', text: `so what about ${i} and ${k}?` },
    {
      speaker: 'x',
      text:
        label === 'bot' ? `Hello ! I like to read books . Do you have pets ? ${k}` : `lol idk ${i + k} maybe`,
    },
  ]).flat(),
});
const data = join(tmp, 'long.jsonl');
writeFileSync(
  data,
  `${Array.from({ length: 16 }, (_, i) => JSON.stringify(chat(i % 2 ? 'bot' : 'human', i, i % 4 === 0 ? 300 : 20))).join('\n')}\n`,
);
const one = join(tmp, 'long 1000.json');
const { label: _l, ...transcript } = chat('bot', 99, 500);
writeFileSync(one, JSON.stringify(transcript));

interface Out {
  score: number;
  timeline: { messageIndex: number; score: number; failedMembers?: string[] }[];
}

describe('botlens detect --timeline on a 1000-message chat (--max-messages 1000)', () => {
  it('a fitted stacking ensemble (heuristic + hashing embedding): the last point equals the score, no member dropped', async () => {
    const model = join(tmp, 'long-fit.json');
    const members = ['--detectors', 'heuristic,embedding', '--embedder', 'hashing'];
    const fit = await botlens(['fit', '--data', data, '--max-messages', '1000', ...members, '--out', model]);
    expect(fit.code, fit.stderr).toBe(0);
    const r = await botlens([
      'detect',
      one,
      '--model',
      model,
      '--max-messages',
      '1000',
      '--timeline',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Out;
    expect(d.timeline).toHaveLength(500);
    expect(d.timeline.at(-1)!.messageIndex).toBe(999);
    expect(Math.abs(d.timeline.at(-1)!.score - d.score)).toBeLessThanOrEqual(1e-12);
    expect(d.timeline.filter((p) => p.failedMembers)).toEqual([]);
  }, 120_000);

  it('the default detector gives a timeline too (it failed every member past message 200)', async () => {
    const r = await botlens(['detect', one, '--max-messages', '1000', '--timeline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Out;
    expect(d.timeline.at(-1)!.score).toBeCloseTo(d.score, 12);
  }, 60_000);

  it('--truncate says what it dropped (stderr, truncatedFrom) and timeline indexes count from the original chat', async () => {
    const r = await botlens(['detect', one, '--truncate', '--timeline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /has 1000 messages; --truncate kept the last 200 \(message indexes 800 to 999, counting from 0/,
    );
    const d = JSON.parse(r.stdout) as Out & { truncatedFrom: number };
    expect(d.truncatedFrom).toBe(1000);
    expect(d.timeline).toHaveLength(100);
    expect(d.timeline[0]!.messageIndex).toBe(801);
    expect(d.timeline.at(-1)!.messageIndex).toBe(999);
    const whole = await botlens(['detect', one, '--max-messages', '1000', '--json']);
    expect(JSON.parse(whole.stdout)).not.toHaveProperty('truncatedFrom');
    expect(whole.stderr).not.toMatch(/--truncate kept/);
  }, 60_000);
});
