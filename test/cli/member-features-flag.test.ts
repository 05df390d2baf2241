/**
 * `--no-member-features` (fit, eval, detect, score) and the config file's `memberFeatures` turn off the stacking
 * combiner's learning on the members' named features; the choice is saved in the fitted state, so next to a
 * fitted file the flag is refused, never ignored.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensembleSpecSchema } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');
const work = useWorkDir('botlens-member-features-flag-');

describe('--no-member-features', () => {
  it('fit saves the choice (on by default); next to a fitted file the flag is refused', async () => {
    const on = work.path('on.json');
    const off = work.path('off.json');
    const base = ['fit', '--data', CHATS, ...'--detectors heuristic --strategy stacking'.split(' ')];
    expect((await runCli([...base, '--out', on])).code).toBe(0);
    expect((await runCli([...base, '--no-member-features', '--out', off])).code).toBe(0);
    const onState = JSON.parse(await readFile(on, 'utf8'));
    const offState = JSON.parse(await readFile(off, 'utf8'));
    expect(onState.memberFeatures).toBe(true);
    expect(onState.combiner.memberFeatures[0].member).toBe(0);
    expect(offState.memberFeatures).toBe(false);
    expect(offState.combiner.memberFeatures).toBeUndefined();

    const t = work.path('t.json');
    await writeFile(t, JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello there!' }] }));
    const refused = await runCli(['detect', t, '--model', on, '--no-member-features']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--no-member-features cannot be used with the fitted model/);
  }, 120_000);

  it('a config spec passes memberFeatures to the ensemble, and rejects a non-boolean', async () => {
    const e = await createEnsemble(
      ensembleSpecSchema.parse({
        strategy: 'stacking',
        memberFeatures: false,
        detectors: [{ type: 'heuristic' }],
      }),
    );
    expect(e.toJSON().memberFeatures).toBe(false);
    const bad = ensembleSpecSchema.safeParse({
      strategy: 'stacking',
      memberFeatures: 'no',
      detectors: [{ type: 'heuristic' }],
    });
    expect(bad.success).toBe(false);
  });
});
