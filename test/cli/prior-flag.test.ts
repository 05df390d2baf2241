/**
 * `--prior` (fit, eval, detect) and the config file's `prior` set a stacking ensemble's expected share of bots:
 * fit saves it with the training share, it moves the verdicts, and next to a fitted file the flag replaces the
 * saved prior without a refit (detectorFromFile's `prior`), refused for a file that cannot honour it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoringDetectorFromFlags } from '../../src/cli/commands/score.js';
import { buildScoringDetector } from '../../src/corpus/build-detector.js';
import { ensembleSpecSchema } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');
/** The detector flags commander gives when only `--model` and the flags under test are on the command line. */
const DEFAULT_FLAGS = { detectors: 'heuristic', strategy: 'stacking' as const };
const work = useWorkDir('botlens-prior-flag-');

describe('--prior', () => {
  it('fit saves the prior and the training share; detect applies it, and next to a fitted file replaces it', async () => {
    const out = work.path('prior.json');
    const saved = await fitWithCli<{ prior: number; trainingBotShare: number }>(
      CHATS,
      ['--detectors', 'heuristic', '--strategy', 'stacking', '--prior', '0.9'],
      out,
    );
    expect(saved.prior).toBe(0.9);
    expect(saved.trainingBotShare).toBeGreaterThan(0);
    expect(saved.trainingBotShare).toBeLessThan(0.9);

    const t = work.path('t.json');
    await writeFile(t, JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello there!' }] }));
    const detected = await runCli(['detect', t, '--model', out, '--json']);
    expect(detected.code).toBe(0);
    const evidence = JSON.parse(detected.stdout).evidence as { name: string; contribution?: number }[];
    expect(evidence.find((e) => e.name === 'prior_shift')?.contribution).toBeGreaterThan(0);

    // Next to the fitted file, --prior replaces the saved 0.9: the shift is logit(0.2) - logit(training share).
    const moved = await runCli(['detect', t, '--model', out, '--prior', '0.2', '--json']);
    expect(moved.stderr).not.toMatch(/error/i);
    expect(moved.code).toBe(0);
    const logit = (p: number): number => Math.log(p / (1 - p));
    const shift = (JSON.parse(moved.stdout).evidence as { name: string; contribution?: number }[]).find(
      (e) => e.name === 'prior_shift',
    )?.contribution;
    expect(shift).toBeCloseTo(logit(0.2) - logit(saved.trainingBotShare), 9);
    expect(JSON.parse(moved.stdout).score).toBeLessThan(JSON.parse(detected.stdout).score);
    // `score` carries the flags that apply next to a fitted file to whichever thread or worker loads it.
    const { detector: scoring } = await scoringDetectorFromFlags({
      ...DEFAULT_FLAGS,
      model: [out],
      prior: '0.2',
      threshold: '0.4',
    });
    expect(scoring).toEqual({ file: resolve(out), options: { prior: 0.2, threshold: 0.4 } });
    const scorer = await buildScoringDetector(scoring);
    const scored = await scorer.detect(JSON.parse(await readFile(t, 'utf8')));
    expect(scored.score).toBe(JSON.parse(moved.stdout).score);
    await expect(scoringDetectorFromFlags({ ...DEFAULT_FLAGS, model: [out], prior: 'x' })).rejects.toThrow(
      /"--prior": got "x"/,
    );
    const badPrior = await runCli(['detect', t, '--model', out, '--prior', '1']);
    expect(badPrior.code).toBe(2); // a usage error, checked while the flags are parsed
    expect(badPrior.stderr).toContain("option '--prior <share>' argument '1' is invalid. got \"1\"");

    // A fitted file that is not a stacking ensemble cannot honour a prior: refused, never ignored.
    const mean = work.path('weighted-mean.json');
    const fitMean = await runCli([
      'fit',
      '--data',
      CHATS,
      ...'--detectors heuristic --strategy weighted-mean --out'.split(' '),
      mean,
    ]);
    expect(fitMean.code).toBe(0);
    const refused = await runCli(['detect', t, '--model', mean, '--prior', '0.5']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/"--prior": applies to the stacking strategy only/);

    for (const v of ['0', '1', 'x']) {
      const bad = await runCli([
        'fit',
        '--data',
        CHATS,
        ...`--detectors heuristic --strategy stacking --prior ${v} --out`.split(' '),
        work.path('never.json'),
      ]);
      expect(bad.code).toBe(2); // a usage error, checked while the flags are parsed
      expect(bad.stderr).toContain(`option '--prior <share>' argument '${v}' is invalid. got "${v}"`);
    }
  }, 180_000);

  it('a config spec passes prior to the ensemble, checked', async () => {
    const e = await createEnsemble(
      ensembleSpecSchema.parse({ strategy: 'stacking', prior: 0.3, detectors: [{ type: 'heuristic' }] }),
    );
    expect(e.toJSON().prior).toBe(0.3);
    expect(
      ensembleSpecSchema.safeParse({ strategy: 'stacking', prior: 1, detectors: [{ type: 'heuristic' }] })
        .success,
    ).toBe(false);
  });
});
