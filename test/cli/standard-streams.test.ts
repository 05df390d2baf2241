/**
 * `-` means standard input or output wherever a command reads one file start to end or writes one output: `fit
 * --data -`, `eval --data -` / `--fit -` read stdin and `fit --out -` writes the fitted ensemble to stdout (it
 * wrote a file named `-`); where that cannot work, `-` is a usage error that says what to do (`score -`, whose
 * `--resume` reads the corpus again; stdin for both `--data` and `--fit`). Real child processes running the CLI.
 */
import { existsSync } from 'node:fs';

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

const row = (label: 'bot' | 'human', i: number) =>
  JSON.stringify({
    target: 'x',
    label,
    messages: Array.from({ length: 4 }, (_, k) => [
      { speaker: 'u', text: `so what about ${i} and ${k}?` },
      {
        speaker: 'x',
        text:
          label === 'bot' ? `Hello ! I like to read books . Do you have pets ? ${k}` : `lol idk ${i} maybe`,
      },
    ]).flat(),
  });
const jsonl = `${Array.from({ length: 24 }, (_, i) => row(i % 2 ? 'bot' : 'human', i)).join('\n')}\n`;

describe('- as standard input and output', () => {
  it('fit --data - --out - reads stdin and writes the fitted ensemble to stdout, no file named -', async () => {
    const r = await runCli(['fit', '--data', '-', '--out', '-', '--quiet'], { input: jsonl });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'ensemble' });
    expect(r.stderr).toContain('written to standard output');
    expect(existsSync(join(ROOT, '-'))).toBe(false);
  });

  it('eval --data - reads stdin', async () => {
    const r = await runCli(['eval', '--data', '-', '--json', '--quiet'], { input: jsonl });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ n: 24 });
  });

  it('refuses - where it cannot work, as a usage error saying what to do', async () => {
    const both = await runCli(['eval', '--data', '-', '--fit', '-'], { input: jsonl });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--data - and --fit - cannot both read standard input/);
    const score = await runCli(['score', '-', '--out', 'x.jsonl', '--resume'], { input: jsonl });
    expect(score.code).toBe(2);
    expect(score.stderr).toMatch(/--resume cannot continue a corpus read from standard input \(-\)/);
    expect(score.stderr).toContain('Run botlens score --help for usage.');
    const json = await runCli(['fit', '--data', '-', '--out', '-', '--json'], { input: jsonl });
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--json cannot print there too/);
  });
});
