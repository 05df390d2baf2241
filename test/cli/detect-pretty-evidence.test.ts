/**
 * `detect --pretty` keeps its evidence table readable: a list value such as the embedding member's
 * `nearest_examples` (full-precision neighbours, ~700 columns per row before) is summed up in its cell, and numbers
 * show 3 decimals; `--json` keeps the value whole. Real child processes running the CLI from source.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_SCRIPT, runCliOnTty } from '../helpers/on-tty.js';
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
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => /\bnearest_examples\b/.test(l));
    // 80 columns (not a terminal) leave too little room beside the wide value: the sentence goes below the row.
    const row = `${lines[at]}\n${lines[at + 1]}`;
    expect(row).toMatch(/nearest_examples\s+\d+ items \(--json for all\)\n\s+Nearest labelled examples:/);
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

/** The lines of `text` longer than `columns`. */
const over = (text: string, columns: number) => text.split(/\r?\n/).filter((l) => l.length > columns);

describe('detect --pretty fits the terminal', () => {
  it('not a terminal: 80 columns, each evidence sentence wrapped under its column (hanging indent)', async () => {
    const r = await runCli(['detect', 'examples/transcript.json', '--pretty']);
    expect(r.code, r.stderr).toBe(0);
    expect(over(r.stdout, 80)).toEqual([]);
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('detector   signal'))!;
    const column = header.indexOf('evidence');
    const row = lines.findIndex((l) => /^heuristic\s+fast_reply_share\s/.test(l));
    expect(lines[row]!.slice(column)).toMatch(/^3 of 3 \(100%\) timed replies/);
    // The sentence goes on below, indented to its column, until the next row.
    const next = lines.slice(row + 1).findIndex((l) => l.startsWith('heuristic'));
    const continued = lines.slice(row + 1, row + 1 + next);
    expect(continued.length).toBeGreaterThan(0);
    for (const l of continued) expect(l).toMatch(new RegExp(`^ {${column}}\\S`));
    const sentence = [lines[row]!.slice(column), ...continued.map((l) => l.slice(column))].join(' ');
    expect(sentence).toMatch(/came faster than a person reads and types .*\(\+\d\.\d\d log-odds\)\.$/);
  });

  it.skipIf(!HAS_SCRIPT)(
    'a terminal 80 columns wide: no line longer; 120 wide: wider lines, none longer',
    () => {
      const narrow = runCliOnTty(['detect', 'examples/transcript.json', '--pretty'], { columns: 80 });
      expect(narrow.code).toBe(0);
      expect(narrow.out).toContain('fast_reply_share');
      expect(over(narrow.out, 80)).toEqual([]);
      const wide = runCliOnTty(['detect', 'examples/transcript.json', '--pretty'], { columns: 120 });
      expect(over(wide.out, 120)).toEqual([]);
      expect(over(wide.out, 80).length).toBeGreaterThan(0);
    },
  );
});
