/**
 * `--novelty-guard` (fit, eval, detect, score) and the config file's `noveltyGuard` choose what the stacking
 * ensemble's out-of-distribution guard does; the choice is fitted into the saved state, so next to a fitted
 * file the flag is refused, never ignored.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensembleSpecSchema } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { fitWithCli, HASHING_STACKING_FLAGS } from '../helpers/fit-with-cli.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');
const work = useWorkDir('botlens-novelty-flag-');

/** The `novelty` block of a saved ensemble, wherever the strategy state keeps it. */
function noveltyOf(state: unknown): { mode?: string } | null | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const o = state as Record<string, unknown>;
  if ('novelty' in o) return o['novelty'] as { mode?: string } | null;
  for (const v of Object.values(o)) {
    const found = noveltyOf(v);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('--novelty-guard', () => {
  it('fit records the chosen mode in the saved state; next to a fitted file the flag is refused', async () => {
    const out = work.path('fallback.json');
    const ensemble = HASHING_STACKING_FLAGS;
    expect(noveltyOf(await fitWithCli(CHATS, [...ensemble, '--novelty-guard', 'fallback'], out))?.mode).toBe(
      'fallback',
    );

    const t = work.path('t.json');
    await writeFile(
      t,
      JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello! How can I help you today?' }] }),
    );
    const refused = await runCli(['detect', t, '--model', out, '--novelty-guard', 'off']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--novelty-guard cannot be used with the fitted model/);
    expect(refused.stdout).toBe('');
  }, 120_000);

  it('rejects an unknown mode on the command line and in a config file', async () => {
    const bad = await runCli([
      'fit',
      '--data',
      CHATS,
      '--strategy',
      'stacking',
      '--novelty-guard',
      'sideways',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/sideways/);
    const parsed = ensembleSpecSchema.safeParse({
      strategy: 'stacking',
      noveltyGuard: 'sideways',
      detectors: [{ type: 'heuristic' }],
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/noveltyGuard must be one of report, fallback, off/);
  });

  it('a config spec with noveltyGuard "off" fits no guard; the default fits one that reports', async () => {
    const rows = (await readFile(CHATS, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const spec = {
      strategy: 'stacking' as const,
      detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing' }],
    };
    const off = await createEnsemble(ensembleSpecSchema.parse({ ...spec, noveltyGuard: 'off' }));
    const dflt = await createEnsemble(ensembleSpecSchema.parse(spec));
    await off.fit(rows);
    await dflt.fit(rows);
    expect(noveltyOf(off.toJSON())).toBeNull();
    expect(noveltyOf(dflt.toJSON())?.mode).toBe('report');
  });
});
