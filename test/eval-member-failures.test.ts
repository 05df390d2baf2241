/**
 * An ensemble member that throws is kept as data in each detection, and its examples are scored from the other
 * members. `evaluateDetector` counts those failures in the report (`failedMembers`), and `botlens eval` refuses
 * to print metrics that are not the ensemble's unless `--allow-partial` is given (exit 3, as `detect` does).
 * Before, the report left the member out without a word and the CLI exited 0.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection, Detector } from '../src/core/detector.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { evaluateDetector } from '../src/eval/evaluate.js';
import { labelledJsonl } from './helpers/labelled-jsonl.js';
import { runCli } from './helpers/run-cli.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

/** Throws on every transcript whose target's last message mentions "flaky", else abstains. */
class Flaky implements Detector {
  readonly name = 'flaky';
  async detect(t: { messages: readonly { text: string }[] }): Promise<Detection> {
    if (t.messages.some((m) => m.text.includes('flaky'))) {
      throw new ModelLoadError('flaky', 'the model file is missing: get it again');
    }
    return { detector: this.name, score: null, label: null, evidence: [], elapsedMs: 0 };
  }
}

describe('evaluateDetector with a member that throws', () => {
  it('counts the examples each failing member threw on, with its first error', async () => {
    const ens = new Ensemble([new HeuristicDetector(), new Flaky()]);
    const labelled = [
      { ...chat('u', ['a: hi', 'u: flaky reply here']), label: 'bot' as const },
      { ...chat('u', ['a: hi', 'u: a calm human answer, thanks']), label: 'human' as const },
      { ...chat('u', ['a: hi', 'u: flaky again']), label: 'human' as const },
    ];
    const report = await evaluateDetector(ens, labelled);
    expect(report.failedMembers).toEqual([
      { detector: 'flaky', examples: 2, firstExample: 0, firstError: expect.stringContaining('missing') },
    ]);
    expect(report.scored).toBe(3);
  });

  it('lists no failedMembers when every member ran', async () => {
    const report = await evaluateDetector(new Ensemble([new HeuristicDetector()]), [
      { ...chat('u', ['a: hi', 'u: hello']), label: 'human' as const },
    ]);
    expect(report.failedMembers).toEqual([]);
  });
});

describeWithShared('botlens eval with a member whose model cannot load', () => {
  let dir: string;
  let data: string;
  let broken: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'botlens-eval-partial-'));
    data = join(dir, 'data.jsonl');
    await writeFile(data, labelledJsonl(6));
    broken = join(dir, 'broken-nli');
    await cp(join(HF_TINY, 'tiny-bert-nli'), broken, { recursive: true });
    await writeFile(join(broken, 'onnx', 'model.onnx'), 'not an onnx file');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const args = () => [
    'eval',
    '--data',
    data,
    '--detectors',
    'heuristic,nli',
    '--model',
    `nli=${broken}`,
    '--json',
  ];

  it('exits 3 with no report, naming the member, its error and how many transcripts it failed on', async () => {
    const r = await runCli(args());
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/detector "nli" failed on 6 of 6 transcripts: ONNX Runtime could not load/);
    expect(r.stderr).toMatch(/no report: 1 detector\(s\) failed.*pass --allow-partial/);
  });

  it('with --allow-partial prints the report with failedMembers, and still says so on stderr', async () => {
    const r = await runCli([...args(), '--allow-partial']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/detector "nli" failed on 6 of 6 transcripts/);
    const report = JSON.parse(r.stdout) as { failedMembers?: { detector: string; examples: number }[] };
    expect(report.failedMembers).toEqual([expect.objectContaining({ detector: 'nli', examples: 6 })]);
  });
});
