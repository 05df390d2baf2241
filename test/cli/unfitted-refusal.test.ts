/**
 * `detect`, `score` and `eval` without `--fit` refuse, before they read any data, an ensemble described by flags
 * that cannot score until it is fitted: a `stacking` strategy, or a member whose type needs a fit (built-in or
 * registered by the app). Before, they read the data, then failed on the first transcript with NotFittedError
 * (exit 1), or exit 3, or, with `--allow-partial`, scored from the other members without saying the ensemble was
 * not what was asked for. A fitted file (`--model fitted.json`) of such an ensemble still scores.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { printedFitCommand, runPrinted } from '../helpers/printed-fit-command.js';
import { ROOT, runCli, runProcess } from '../helpers/run-cli.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-unfitted-');
/** A transcript file that does not exist: a refusal that came after reading it would be about the file. */
let missing = '';

beforeAll(() => {
  missing = work.path('missing.json');
});

/** The refusal every case must print: what cannot score, and the fit command that makes it score. */
function expectRefusal(
  r: { code: number | null; stderr: string; stdout: string },
  what: RegExp,
  advice: string,
): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(what);
  expect(r.stderr).toContain(advice);
  expect(r.stderr).not.toMatch(/Cannot read|ENOENT|not fitted:/);
  expect(r.code).toBe(1);
}

describe('commands that score refuse an unfitted ensemble before reading data', () => {
  it('detect: a member that needs a fit, under weighted-mean, even with --allow-partial', async () => {
    const r = await runCli([
      'detect',
      missing,
      '--detectors',
      'heuristic,partner-contrast',
      '--allow-partial',
    ]);
    expectRefusal(
      r,
      /Invalid option "--detectors": --detectors heuristic,partner-contrast cannot score until it is fitted on labelled data \(detector "partner-contrast" has nothing to score with before it is fitted\)/,
      'fit it first (botlens fit --detectors heuristic,partner-contrast --strategy weighted-mean --data train.jsonl --out fitted.json), then rerun this command with --model fitted.json in place of the flags that describe the ensemble (--detectors)',
    );
  }, 60_000);

  it('detect: --strategy stacking, and a cascade with the hashing embedding (its flags kept in the advice)', async () => {
    const stacking = await runCli(['detect', missing, '--strategy', 'stacking']);
    expectRefusal(
      stacking,
      /Invalid option "--strategy": --detectors heuristic --strategy stacking cannot score .*the "stacking" strategy learns its combiner/,
      'fit it first (botlens fit --detectors heuristic --strategy stacking --data train.jsonl --out fitted.json)',
    );
    const cascade = await runCli([
      'detect',
      missing,
      '--strategy',
      'cascade',
      '--detectors',
      'heuristic,embedding',
      '--embedder',
      'hashing',
      '--rare-buckets',
      '10,eachClass',
    ]);
    expectRefusal(
      cascade,
      /detector "embedding" has nothing to score with/,
      'botlens fit --detectors heuristic,embedding --strategy cascade --embedder hashing --rare-buckets 10,eachClass --data train.jsonl --out fitted.json',
    );
  }, 60_000);

  it('score: refused before the corpus is read, so no output file appears', async () => {
    const out = work.path('scores.jsonl');
    const r = await runCli(['score', CHATS, '--out', out, '--workers', '0', '--detectors', 'linear-probe']);
    expectRefusal(
      r,
      /detector "linear-probe" has nothing to score with/,
      'then rerun this command with --model fitted.json in place of the flags that describe the ensemble (--detectors)',
    );
    // Before: the scores and rejects files were created, then the first line failed.
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.rejects.jsonl`)).toBe(false);
  }, 60_000);

  it('eval without --fit: refused, saying to give --fit; with --fit it fits and scores', async () => {
    const flags = ['--detectors', 'heuristic,partner-contrast', '--json', '--quiet'];
    const refused = await runCli(['eval', '--data', work.path('missing.jsonl'), ...flags]);
    expectRefusal(
      refused,
      /detector "partner-contrast" has nothing to score with/,
      'give --fit train.jsonl to fit it before it is scored; or fit it first (botlens fit --detectors heuristic,partner-contrast --strategy weighted-mean --data train.jsonl --out fitted.json) and rerun this command with --model fitted.json in place of the flags that describe the ensemble (--detectors)',
    );
    const fitted = await runCli(['eval', '--fit', CHATS, '--data', CHATS, ...flags]);
    expect(fitted.stderr).toBe('');
    expect(fitted.code).toBe(0);
    expect(JSON.parse(fitted.stdout)).toMatchObject({ n: 60, detectors: 'heuristic,partner-contrast' });
  }, 120_000);

  it('a detector type the app registered and that declares a fit is refused too', async () => {
    // The app's detector is registered before the CLI runs, as `node --import ./register.js botlens ...` does.
    const plugin = resolve(ROOT, 'test/fixtures/plugins/register-needs-fit.ts');
    const cli = (args: string[]) =>
      runProcess(
        process.execPath,
        ['--import', 'tsx', '--import', plugin, resolve(ROOT, 'src/cli/main.ts'), ...args],
        { env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' } },
      );
    const t = work.path('t.json');
    await writeFile(
      t,
      JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello there friend' }] }),
    );
    // Before: exit 0 with the heuristic's score alone (the registered member failed with NotFittedError).
    const refused = await cli(['detect', t, '--detectors', 'heuristic,cutoff-length', '--allow-partial']);
    expectRefusal(
      refused,
      /detector "cutoff-length" has nothing to score with/,
      'fit it first (botlens fit --detectors heuristic,cutoff-length --strategy weighted-mean',
    );
    const out = work.path('registered.json');
    const fit = await cli([
      'fit',
      '--data',
      CHATS,
      '--detectors',
      'heuristic,cutoff-length',
      '--strategy',
      'weighted-mean',
      '--quiet',
      '--out',
      out,
    ]);
    expect(fit.code).toBe(0);
    const scored = await cli(['detect', t, '--model', out]);
    expect(scored.stderr).toBe('');
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.stdout).members.map((m: { score: unknown }) => typeof m.score)).toEqual([
      'number',
      'number',
    ]);
  }, 120_000);
});

describe('an ensemble that cannot be built', () => {
  it('two members of one name: refused by the rule createEnsemble applies, with no fit command printed', async () => {
    const duplicate = `Invalid option "--detectors": two detectors are named "heuristic": give one a different "name"`;
    for (const argv of [
      ['detect', missing, '--detectors', 'heuristic,heuristic,embedding'],
      ['eval', '--data', missing, '--detectors', 'heuristic,heuristic', '--strategy', 'stacking'],
      [
        'score',
        CHATS,
        '--out',
        work.path('dup.jsonl'),
        '--detectors',
        'heuristic,heuristic,partner-contrast',
      ],
    ]) {
      const r = await runCli(argv);
      // Before: "fit it first (botlens fit --detectors heuristic,heuristic,embedding ...)", which fit then refused.
      expect(r.stderr, argv[0]).toBe(`botlens: ${duplicate}\n`);
      expect(r.code, argv[0]).toBe(1);
    }
  }, 60_000);
});

describe('the advice runs as printed', () => {
  it('the fit command, then this command with --model fitted.json in place of the flags it names', async () => {
    const t = work.path('advice-one.json');
    await writeFile(t, (await readFile(CHATS, 'utf8')).split('\n')[0]!);
    const ensembleFlags = [
      '--detectors',
      'heuristic,embedding',
      '--strategy',
      'stacking',
      '--embedder',
      'hashing',
      '--rare-buckets',
      '10,eachClass',
      '--no-member-features',
    ];
    // --threshold and --threads apply next to a fitted file too: the advice keeps them.
    const argv = ['detect', t, ...ensembleFlags, '--threshold', '0.6', '--threads', '1'];
    const refused = await runCli(argv);
    expect(refused.code).toBe(1);
    // Before: "then run botlens detect --model fitted.json", without the file or the runtime flags.
    const rerun =
      /then rerun this command with --model fitted\.json in place of the flags that describe the ensemble \(([^)]*)\)/.exec(
        refused.stderr,
      );
    expect(rerun?.[1]).toBe('--detectors, --strategy, --no-member-features, --embedder, --rare-buckets');
    const command = printedFitCommand(refused.stderr);
    expect(command).toBe(
      'botlens fit --detectors heuristic,embedding --strategy stacking --no-member-features --threshold 0.6 --embedder hashing --rare-buckets 10,eachClass --threads 1 --data train.jsonl --out fitted.json',
    );
    const dir = work.path('advice');
    const fit = await runPrinted(command!, dir);
    expect(fit.code).toBe(0);
    // This command, the named flags (and their values) replaced by --model fitted.json.
    const named = new Set(rerun![1]!.split(', '));
    const kept = argv.filter(
      (a, i) => !named.has(a) && !(named.has(argv[i - 1]!) && argv[i - 1] !== '--no-member-features'),
    );
    const scored = await runCli([...kept, '--model', join(dir, 'fitted.json')]);
    expect(scored.stderr).toBe('');
    expect(scored.code).toBe(0);
    const result = JSON.parse(scored.stdout) as { members: { score: unknown }[] };
    expect(result.members.map((m) => typeof m.score)).toEqual(['number', 'number']);
  }, 120_000);
});

describe('a registered type whose needsFit is broken', () => {
  it('is refused with a typed error naming the type, not as an unexpected error or "needs a fit"', async () => {
    const plugin = resolve(ROOT, 'test/fixtures/plugins/register-bad-needs-fit.ts');
    const t = work.path('bad.json');
    await writeFile(
      t,
      JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello there friend' }] }),
    );
    const cases: [string, string][] = [
      // Before: "botlens: unexpected error (please report it ...)".
      ['needs-fit-throws', 'needsFit threw "boom"; needsFit must return true or false synchronously'],
      // Before: both were read as true, and the ensemble refused as one that needs a fit.
      ['needs-fit-promise', 'needsFit must return true or false synchronously, got Promise'],
      ['needs-fit-no', 'needsFit must return true or false synchronously, got "no"'],
    ];
    for (const [type, said] of cases) {
      const r = await runProcess(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          plugin,
          resolve(ROOT, 'src/cli/main.ts'),
          'detect',
          t,
          '--detectors',
          `heuristic,${type}`,
        ],
        { env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' } },
      );
      expect(r.stderr, type).toContain(`Invalid option "needsFit": detector type "${type}": ${said}`);
      expect(r.stderr, type).not.toMatch(/unexpected error|cannot score until it is fitted/);
      expect(r.code, type).toBe(1);
    }
  }, 120_000);
});

describe('a fitted file whose members need a fit still scores', () => {
  it('detect, score and eval with --model fitted.json', async () => {
    const fitted = work.path('fitted.json');
    const saved = await fitWithCli<{ members: { kind: string }[] }>(
      CHATS,
      [
        '--detectors',
        'heuristic,partner-contrast,embedding',
        '--embedder',
        'hashing',
        '--strategy',
        'weighted-mean',
      ],
      fitted,
    );
    expect(saved.members.map((m) => m.kind)).toEqual(['heuristic', 'partner-contrast', 'embedding']);
    const t = work.path('one.json');
    await writeFile(t, (await readFile(CHATS, 'utf8')).split('\n')[0]!);
    const detected = await runCli(['detect', t, '--model', fitted]);
    expect(detected.stderr).toBe('');
    expect(detected.code).toBe(0);
    const result = JSON.parse(detected.stdout) as { score: number; members: { score: number }[] };
    expect(result.members.every((m) => typeof m.score === 'number')).toBe(true);
    const out = work.path('fitted-scores.jsonl');
    const scored = await runCli([
      'score',
      CHATS,
      '--out',
      out,
      '--workers',
      '0',
      '--model',
      fitted,
      '--json',
    ]);
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ scored: 60, rejected: 0 });
    const evaluated = await runCli(['eval', '--data', CHATS, '--model', fitted, '--json', '--quiet']);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({
      n: 60,
      detectors: 'heuristic,partner-contrast,embedding',
    });
  }, 180_000);
});
