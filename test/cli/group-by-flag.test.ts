/**
 * `--group-by <field>`: `fit` and `eval --fit` fit a stacking ensemble's combiner on folds that keep each value of
 * a record field whole, and refuse it where there is no combiner, no fit, or a record without the field.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');
const work = useWorkDir('botlens-group-by-');
let data = '';

beforeAll(async () => {
  // Two sources, each with bots and humans: rows alternate between them in pairs.
  const rows = (await readFile(CHATS, 'utf8')).trim().split('\n');
  data = work.path('sourced.jsonl');
  await writeFile(
    data,
    `${rows.map((r, i) => JSON.stringify({ ...JSON.parse(r), source: Math.floor(i / 2) % 2 ? 'b' : 'a' })).join('\n')}\n`,
  );
});

const STACKING = '--detectors heuristic,partner-contrast --strategy stacking'.split(' ');

describe('--group-by', () => {
  it('fits and evaluates with folds grouped by the field', async () => {
    const r = await runCli([
      'eval',
      '--fit',
      data,
      '--data',
      data,
      ...STACKING,
      '--group-by',
      'source',
      '--json',
    ]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).n).toBe(60);
    const out = work.path('grouped.json');
    const fit = await runCli(['fit', '--data', data, ...STACKING, '--group-by', 'source', '--out', out]);
    expect(fit.code).toBe(0);
    // By-group folds give the combiner other out-of-fold scores than stratified ones.
    const plain = work.path('plain.json');
    expect((await runCli(['fit', '--data', data, ...STACKING, '--out', plain])).code).toBe(0);
    const weights = async (f: string) => JSON.parse(await readFile(f, 'utf8')).combiner.weights as number[];
    expect(await weights(out)).not.toEqual(await weights(plain));
    // The saved file says its combiner learned from grouped folds; the plain one does not.
    expect(JSON.parse(await readFile(out, 'utf8')).groupedFolds).toBe(true);
    expect(JSON.parse(await readFile(plain, 'utf8'))).not.toHaveProperty('groupedFolds');
  });

  it('refuses it without a combiner, without --fit, or when a record lacks the field', async () => {
    const mean = await runCli(['eval', '--fit', data, '--data', data, '--group-by', 'source']);
    expect(mean.code).not.toBe(0);
    expect(mean.stderr).toMatch(/--group-by.*learns no combiner/);
    const noFit = await runCli(['eval', '--data', data, ...STACKING, '--group-by', 'source']);
    expect(noFit.code).not.toBe(0);
    expect(noFit.stderr).toMatch(/--group-by.*give --fit/);
    const missing = await runCli([
      'fit',
      '--data',
      CHATS,
      ...STACKING,
      '--group-by',
      'source',
      '--out',
      work.path('x.json'),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/record 1 of --data has no "source" field/);
    const one = await runCli([
      'fit',
      '--data',
      data,
      ...STACKING,
      '--group-by',
      'target',
      '--out',
      work.path('y.json'),
    ]);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/at least two groups/);
  });
});
