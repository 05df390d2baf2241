/**
 * `detect --pretty` keeps its evidence table readable: a list value such as the embedding member's
 * `nearest_examples` (full-precision neighbours, ~700 columns per row before) is summed up in its cell, and numbers
 * show 3 decimals; `--json` keeps the value whole. Real child processes running the CLI from source.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-pretty-'));
const transcript = (label: 'bot' | 'human', i: number) => ({
  target: 'x',
  label,
  messages: Array.from({ length: 4 }, (_, k) => [
    { speaker: 'u', text: `so what about ${i} and ${k}?` },
    {
      speaker: 'x',
      text: label === 'bot' ? `Hello ! I like to read books . Do you have pets ? ${k}` : `lol idk ${i} maybe`,
    },
  ]).flat(),
});
const train = join(tmp, 'train.jsonl');
writeFileSync(
  train,
  `${Array.from({ length: 24 }, (_, i) => JSON.stringify(transcript(i % 2 ? 'bot' : 'human', i))).join('\n')}\n`,
);
const chat = join(tmp, 'chat.json');
writeFileSync(chat, JSON.stringify(transcript('bot', 99)));

describe('detect --pretty with an embedding member', () => {
  it('sums up nearest_examples in its cell instead of printing raw full-precision JSON', async () => {
    const fitted = join(tmp, 'fitted.json');
    const spec = ['--detectors', 'heuristic,embedding', '--embedder', 'hashing'];
    const fit = await runCli(['fit', '--data', train, '--out', fitted, ...spec, '--quiet']);
    expect(fit.code, fit.stderr).toBe(0);
    const r = await runCli(['detect', chat, '--model', fitted, '--pretty']);
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => /\bnearest_examples\b/.test(l));
    expect(row).toBeDefined();
    expect(row).toMatch(/nearest_examples\s+\d+ items \(--json for all\)\s+Nearest labelled examples:/);
    expect(row).not.toMatch(/\d\.\d{4,}/);
    expect(row).not.toContain('"similarity"');
    const json = await runCli(['detect', chat, '--model', fitted, '--json']);
    const members = (
      JSON.parse(json.stdout) as { members: { evidence?: { name: string; value: unknown }[] }[] }
    ).members;
    const nearest = members.flatMap((m) => m.evidence ?? []).find((e) => e.name === 'nearest_examples');
    expect(Array.isArray(nearest?.value)).toBe(true);
  });
});
