/**
 * The embedding detector's `knnStopShare` on the command line: `--knn-stop-share X` on the commands that take the
 * other embedding flags, read by the shared number-flag parser (errors name the flag), set on the embedding
 * member's spec only, refused where it cannot apply (no embedding member, a preset, a fitted file), written back
 * by the printed `botlens fit` command, and saved in the fitted state.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fittedLoadOptions, specsFromFlags } from '../../src/cli/detector-flags.js';
import type { DetectorState } from '../../src/core/detector.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import type { EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { ensembleSpecFromFlags } from '../../src/flags/ensemble-flags.js';
import { fitCommand, howToFit } from '../../src/flags/fit-command.js';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { printedFitCommand, runPrinted } from '../helpers/printed-fit-command.js';
import { runCli } from '../helpers/run-cli.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-knn-stop-share-');

const flags = {
  detectors: 'heuristic,embedding',
  strategy: 'stacking' as const,
  model: [],
  embedder: 'hashing' as const,
};

/** A stacking ensemble of the heuristic and the hashing embedding with `knnStopShare: share`. */
function specWith(share: number): EnsembleSpec {
  return {
    strategy: 'stacking',
    detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing', knnStopShare: share }],
  };
}

/** The InvalidOptionsError `f` throws. */
function refusal(f: () => unknown): InvalidOptionsError {
  try {
    f();
  } catch (err) {
    expect(InvalidOptionsError.isInstance(err), String(err)).toBe(true);
    return err as InvalidOptionsError;
  }
  throw new Error('expected an InvalidOptionsError');
}

describe('--knn-stop-share', () => {
  it('sets knnStopShare on the embedding member only', () => {
    expect(specsFromFlags({ ...flags, knnStopShare: '0.1' })).toEqual([
      { type: 'heuristic' },
      { type: 'embedding', embedder: 'hashing', knnStopShare: 0.1 },
    ]);
    expect(specsFromFlags({ ...flags, knnStopShare: '1' })[1]?.['knnStopShare']).toBe(1);
    expect(specsFromFlags({ ...flags, knnStopShare: '2.5e-1' })[1]?.['knnStopShare']).toBe(0.25);
    expect(specsFromFlags(flags)[1]).not.toHaveProperty('knnStopShare');
  });

  it('refuses a value outside (0, 1] or not in decimal notation, naming the flag', () => {
    for (const bad of ['', ' ', '0', '-0.1', '1.5', '0x1', 'Infinity', 'NaN', 'ten', '0.1,0.2']) {
      const e = refusal(() => specsFromFlags({ ...flags, knnStopShare: bad }));
      expect(e.option, bad).toBe('--knn-stop-share');
      expect(e.message, bad).toBe(
        `Invalid option "--knn-stop-share": got "${bad}"; give the share of labelled vectors above which a hashed position is left out of the kNN vote (1 leaves nothing out), in (0, 1], e.g. 0.1`,
      );
    }
  });

  it('is refused unless the embedder is hashing, saying to add --embedder hashing', () => {
    const { embedder: _, ...dense } = flags;
    for (const f of [dense, { ...flags, embedder: 'transformers' as const }]) {
      for (const share of ['0.1', '1']) {
        const e = refusal(() => specsFromFlags({ ...f, knnStopShare: share }));
        expect(e.option).toBe('--knn-stop-share');
        expect(e.message).toBe(
          `Invalid option "--knn-stop-share": applies to the hashing embedder only (it leaves common hashed n-grams out of the kNN vote; the transformers embedder's dense vectors use every position): add --embedder hashing, or leave --knn-stop-share out`,
        );
      }
    }
  });

  it('is refused without an embedding member, next to a preset and next to a fitted file', () => {
    expect(
      refusal(() => specsFromFlags({ ...flags, detectors: 'heuristic', knnStopShare: '0.1' })).message,
    ).toMatch(
      /^Invalid option "--knn-stop-share": applies to the embedding detector, which --detectors heuristic does not list/,
    );
    const preset = refusal(() =>
      ensembleSpecFromFlags({
        detectors: 'heuristic',
        strategy: 'stacking',
        model: [],
        preset: 'transfer',
        explicit: {},
        knnStopShare: '0.1',
      }),
    );
    expect(preset.option).toBe('--knn-stop-share');
    expect(preset.message).toContain('cannot be used with --preset transfer: it fixes the detectors');
    const fitted = refusal(() =>
      fittedLoadOptions(
        { ...flags, knnStopShare: '0.1', explicit: { knnStopShare: '--knn-stop-share' } },
        'fitted.json',
        new Map(),
      ),
    );
    expect(fitted.message).toContain('--knn-stop-share cannot be used with the fitted model fitted.json');
  });

  it('the printed fit command gives the field back: it parses to the same spec', () => {
    for (const share of [0.1, 1, 0.25, 1e-7, 1 / 3]) {
      const fit = fitCommand(specWith(share));
      // fitCommand parses its command back with the CLI's parser and returns none when the spec differs.
      expect(fit?.command, String(share)).toBe(
        `botlens fit --detectors heuristic,embedding --strategy stacking --embedder hashing --knn-stop-share ${share} --data train.jsonl --out fitted.json`,
      );
    }
    expect(howToFit(specWith(0.1))).toContain('--knn-stop-share 0.1 ');
  });

  it('botlens fit --knn-stop-share saves the share and its stop positions in the fitted embedding member', async () => {
    const fitted = await fitWithCli<{ members: DetectorState[] }>(
      CHATS,
      ['--detectors', 'heuristic,embedding', '--embedder', 'hashing', '--knn-stop-share', '0.3', '--quiet'],
      work.path('fitted.json'),
    );
    const member = fitted.members[1]!;
    expect(member['knnStopShare']).toBe(0.3);
    // The stop positions fixed by the fit (written only when there are some).
    expect((member['model'] as Record<string, unknown>)['knnStop']).toEqual(expect.any(String));
    const bad = await runCli([
      'fit',
      '--data',
      CHATS,
      '--detectors',
      'heuristic,embedding',
      '--embedder',
      'hashing',
      '--knn-stop-share',
      '0',
      '--out',
      work.path('bad.json'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--knn-stop-share <share>' argument '0' is invalid. got \"0\"");
  }, 120_000);

  it('the printed command runs as printed and fits what the library fits from the spec', async () => {
    const spec = specWith(0.3);
    const command = printedFitCommand(howToFit(spec));
    expect(command).toBeDefined();
    const dir = work.path('printed');
    const fit = await runPrinted(command!, dir);
    expect(fit.stderr).not.toMatch(/error/i);
    expect(fit.code).toBe(0);
    const library = await createEnsemble(spec);
    await library.fit(await readTranscriptsJsonl(CHATS));
    expect(JSON.parse(await readFile(`${dir}/fitted.json`, 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(library.toJSON())),
    );
    await library.dispose();
  }, 120_000);
});
