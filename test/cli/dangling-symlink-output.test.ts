/**
 * `fit --out` treats a symlink whose target is missing as an existing output: replacing it needs `--force`, as
 * for a symlink to a file (it was replaced silently). Real child processes running the CLI from source.
 */
import { lstatSync, mkdtempSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-dangling-'));
const row = (label: 'bot' | 'human', i: number) =>
  JSON.stringify({
    target: 'x',
    label,
    messages: [
      { speaker: 'u', text: `what about ${i}?` },
      { speaker: 'x', text: label === 'bot' ? 'Hello ! I like to read books .' : `lol idk ${i}` },
    ],
  });
const data = join(tmp, 'train.jsonl');
writeFileSync(data, `${Array.from({ length: 12 }, (_, i) => row(i % 2 ? 'bot' : 'human', i)).join('\n')}\n`);

describe('fit --out on a dangling symlink', () => {
  it('is refused without --force, naming the symlink, and left as it was', async () => {
    const out = join(tmp, 'dangling.json');
    const target = join(tmp, 'missing-dir', 'file.json');
    symlinkSync(target, out);
    const fit = [
      'fit',
      '--data',
      data,
      '--out',
      out,
      '--detectors',
      'heuristic',
      '--strategy',
      'weighted-mean',
    ];
    const r = await runCli([...fit, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${out} already exists as a symlink to ${target}, which does not exist: pass --force`,
    );
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
    expect(readlinkSync(out)).toBe(target);
    const forced = await runCli([...fit, '--quiet', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(lstatSync(out).isFile()).toBe(true);
  });
});
