/**
 * `--group-by <field>`: `fit` and `eval --fit` fit a stacking ensemble's combiner on folds that keep each value of
 * a record field whole, and refuse it where there is no combiner, no fit, or a record without the field.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { CHATS, writeTwoSourceChats } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-group-by-');
let data = '';

beforeAll(async () => {
  data = work.path('sourced.jsonl');
  await writeTwoSourceChats(data);
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
    const mean = await runCli([
      'eval',
      '--fit',
      data,
      '--data',
      data,
      '--strategy',
      'weighted-mean',
      '--group-by',
      'source',
    ]);
    expect(mean.code).not.toBe(0);
    expect(mean.stderr).toMatch(/--group-by.*learns no combiner/);
    const noFit = await runCli(['eval', '--data', data, ...STACKING, '--group-by', 'source']);
    // A usage error (exit 2, commander's wording and --help hint), found before any data is read.
    expect(noFit.code).toBe(2);
    expect(noFit.stderr).toMatch(
      /^botlens: error: --group-by groups the fit: give --fit <file> with it, or leave --group-by out\n.*--help/m,
    );
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

  it('checks it against --strategy and --detectors before reading any data, and refuses an empty field', async () => {
    // The data file does not exist: each refusal comes before it would be read.
    const nowhere = work.path('missing.jsonl');
    const out = work.path('z.json');
    const fitWith = (...flags: string[]) => runCli(['fit', '--data', nowhere, '--out', out, ...flags]);
    const mean = await fitWith(
      '--detectors',
      'heuristic,partner-contrast',
      '--strategy',
      'weighted-mean',
      '--group-by',
      'source',
    );
    expect(mean.code).not.toBe(0);
    expect(mean.stderr).toMatch(/--group-by.*--strategy weighted-mean learns no combiner/);
    const one = await fitWith('--detectors', 'heuristic', '--group-by', 'source');
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/--group-by.*--detectors heuristic lists one detector/);
    const empty = await fitWith(...STACKING, '--group-by', '');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/--group-by.*name a record field/);
    const evalMean = await runCli([
      'eval',
      '--fit',
      nowhere,
      '--data',
      nowhere,
      '--strategy',
      'weighted-mean',
      '--group-by',
      'source',
    ]);
    expect(evalMean.stderr).toMatch(/--group-by.*learns no combiner/);
    for (const r of [mean, one, empty, evalMean]) expect(r.stderr).not.toMatch(/missing\.jsonl/);
  });

  it('takes string, number and boolean field values, and refuses an object, array or null naming the record', async () => {
    const rows = (await readFile(data, 'utf8'))
      .trim()
      .split('\n')
      .map((r) => JSON.parse(r));
    const withSource = async (name: string, source: (i: number) => unknown) => {
      const f = work.path(name);
      await writeFile(
        f,
        `${rows.map((r, i) => JSON.stringify({ ...r, id: `row${i}`, source: source(i) })).join('\n')}\n`,
      );
      return runCli([
        'fit',
        '--data',
        f,
        ...STACKING,
        '--group-by',
        'source',
        '--out',
        work.path(`${name}.json`),
      ]);
    };
    const numbers = await withSource('numbers.jsonl', (i) => Math.floor(i / 2) % 2);
    expect(numbers.stderr).not.toMatch(/error/i);
    expect(numbers.code).toBe(0);
    const booleans = await withSource('booleans.jsonl', (i) => Math.floor(i / 2) % 2 === 1);
    expect(booleans.code).toBe(0);
    for (const [bad, what] of [
      [{ a: 1 }, 'an object'],
      [['a'], 'an array'],
      [null, 'null'],
    ] as const) {
      const r = await withSource('bad.jsonl', (i) => (i === 2 ? bad : i % 2 ? 'a' : 'b'));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`record 3 of --data \\(id "row2"\\) has ${what} in "source"`));
    }
  });
});
