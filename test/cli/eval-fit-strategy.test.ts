/**
 * `eval --fit` builds the ensemble `fit` builds from the same flags: `--strategy` defaults to the fit strategy
 * (stacking) in both, so `eval --fit train` reports what `fit --data train` then `eval --model fitted.json` does.
 * Without `--fit` the default stays weighted-mean (nothing is fitted). Real CLI child processes.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

interface Report {
  f1: number;
  auroc: number;
  strategy?: string;
}

describe('eval --fit and fit share the strategy default', () => {
  const work = useWorkDir('botlens-eval-fit-strategy-');

  it('eval --fit equals fit then eval --model; --strategy given is kept; without --fit weighted-mean', async () => {
    const [train, dev, fitted] = [work.path('train.jsonl'), work.path('dev.jsonl'), work.path('fitted.json')];
    writeFileSync(train, labelledJsonl(40));
    writeFileSync(dev, labelledJsonl(16));
    const fit = await runCli(['fit', '--data', train, '--out', fitted, '--quiet']);
    expect(fit.code, fit.stderr).toBe(0);
    const viaFile = await runCli(['eval', '--data', dev, '--model', fitted, '--json', '--quiet']);
    const viaFit = await runCli(['eval', '--data', dev, '--fit', train, '--json', '--quiet']);
    expect(viaFit.code, viaFit.stderr).toBe(0);
    const [a, b] = [JSON.parse(viaFile.stdout) as Report, JSON.parse(viaFit.stdout) as Report];
    expect(b.strategy).toBe('stacking');
    expect({ f1: b.f1, auroc: b.auroc }).toEqual({ f1: a.f1, auroc: a.auroc });
    const mean = await runCli([
      'eval',
      '--data',
      dev,
      '--fit',
      train,
      '--strategy',
      'weighted-mean',
      '--json',
    ]);
    expect((JSON.parse(mean.stdout) as Report).strategy).toBe('weighted-mean');
    const unfitted = await runCli(['eval', '--data', dev, '--json', '--quiet']);
    expect((JSON.parse(unfitted.stdout) as Report).strategy).toBe('weighted-mean');
  });
});
