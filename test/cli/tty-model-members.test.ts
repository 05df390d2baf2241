/**
 * On a terminal the CLI draws a model-loading bar: its callback goes to the loaders as a setting of the run,
 * never into the JSON spec (whose schemas refuse unknown keys). Every command with a member other than the
 * heuristic used to fail on a terminal with `Unrecognized key: "onProgress"`, while the same command piped (as
 * every other test runs it) worked.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../src/detectors/index.js';
import { createDetector, createEnsemble, InvalidOptionsError } from '../../src/index.js';
import { HASHING_STACKING_FLAGS } from '../helpers/fit-with-cli.js';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { HAS_SCRIPT, runCliOnTty } from '../helpers/on-tty.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'botlens-tty-'));
  await writeFile(join(dir, 'train.jsonl'), labelledJsonl(12));
  await writeFile(
    join(dir, 'one.json'),
    JSON.stringify({
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hi, how was the trip?' },
        { speaker: 'b', text: 'long, but the views were worth it' },
      ],
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAS_SCRIPT)('on a terminal, members other than the heuristic', () => {
  it('fit and eval a stacking ensemble with the hashing embedding', () => {
    const out = join(dir, 'fitted.json');
    const fit = runCliOnTty([
      'fit',
      ...HASHING_STACKING_FLAGS,
      '--data',
      join(dir, 'train.jsonl'),
      '--out',
      out,
    ]);
    expect(fit.out).not.toMatch(/onProgress/);
    expect(fit.code).toBe(0);
    expect(fit.out).toMatch(/saved /);
    const evaluated = runCliOnTty([
      'eval',
      '--fit',
      join(dir, 'train.jsonl'),
      '--detectors',
      'heuristic,embedding',
      '--embedder',
      'hashing',
      '--data',
      join(dir, 'train.jsonl'),
      '--json',
    ]);
    expect(evaluated.out).not.toMatch(/onProgress/);
    expect(evaluated.code).toBe(0);
  });
});

describeWithShared('on a terminal, a model-backed member', () => {
  it.skipIf(!HAS_SCRIPT)('detect loads it, draws the loading bar and scores', () => {
    const r = runCliOnTty([
      'detect',
      join(dir, 'one.json'),
      '--detectors',
      'heuristic,nli',
      '--model',
      `nli=${join(HF_TINY, 'tiny-bert-nli')}`,
    ]);
    expect(r.out).not.toMatch(/onProgress/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tiny-bert-nli \[.*\] 100%/);
    expect(r.out).toMatch(/"label": "(bot|human)"/);
  });

  it('createDetector and createEnsemble hand onProgress to the model loaders', async () => {
    const seen: LoadProgress[] = [];
    const nli = await createDetector(
      { type: 'nli', model: join(HF_TINY, 'tiny-bert-nli') },
      { onProgress: (p) => seen.push(p) },
    );
    await nli.detect({ target: 'b', messages: [{ speaker: 'b', text: 'hello there' }] });
    expect(seen.some((p) => p.file === 'tokenizer.json')).toBe(true);

    const fromEnsemble: LoadProgress[] = [];
    const ens = await createEnsemble(
      {
        strategy: 'weighted-mean',
        detectors: [{ type: 'heuristic' }, { type: 'nli', model: join(HF_TINY, 'tiny-bert-nli') }],
      },
      { onProgress: (p) => fromEnsemble.push(p) },
    );
    await ens.detect({ target: 'b', messages: [{ speaker: 'b', text: 'hello there' }] });
    expect(fromEnsemble.length).toBeGreaterThan(0);
  });
});

describe('createDetector / createEnsemble run options', () => {
  it('refuse an onProgress that is not a function, naming it', async () => {
    await expect(createDetector({ type: 'heuristic' }, { onProgress: 'x' as never })).rejects.toThrow(
      InvalidOptionsError,
    );
    await expect(
      createEnsemble(
        { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] },
        { onProgress: 1 as never },
      ),
    ).rejects.toThrow(/onProgress.*expected a function, got 1/);
  });

  it('keep refusing onProgress inside a spec: a spec is JSON data', async () => {
    await expect(createDetector({ type: 'nli', onProgress: () => undefined } as never)).rejects.toThrow(
      /"onProgress": not a key of the "nli" detector spec\. Its keys are type, name, /,
    );
  });

  it('name a misspelt spec option as the library names option typos, not in zod words', async () => {
    const typo = createDetector({ type: 'heuristic', thresold: 0.5 } as never);
    await expect(typo).rejects.toThrow(InvalidOptionsError);
    await expect(createDetector({ type: 'heuristic', thresold: 0.5 } as never)).rejects.toThrow(
      /^Invalid option "thresold": not a key of the "heuristic" detector spec; did you mean "threshold"\?/,
    );
    // Other problems keep the schema's wording.
    await expect(createDetector({ type: 'heuristic', threshold: 2 } as never)).rejects.toThrow(
      /threshold: expected a number in \[0, 1\], got 2/,
    );
  });
});
