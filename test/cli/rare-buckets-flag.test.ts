/**
 * The embedding detector's `rareBuckets` rule outside the library: in a detector spec / service config
 * (`ensemble.detectors[].rareBuckets`) and as `--rare-buckets N[,drop|shrink][,any|eachClass]`, checked by the
 * detector's own rule and fitting what the library fits.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerFitCommand } from '../../src/cli/commands/fit.js';
import { fittedLoadOptions, specsFromFlags } from '../../src/cli/detector-flags.js';
import type { DetectorState } from '../../src/core/detector.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { createDetector } from '../../src/detectors/registry.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { parseServiceConfig } from '../../src/server/config.js';
import { rarePhraseConversations } from '../helpers/rare-phrase-fixture.js';

const TRAIN = rarePhraseConversations(24);
const flags = {
  detectors: 'heuristic,embedding',
  strategy: 'stacking' as const,
  model: [],
  embedder: 'hashing' as const,
};

/** The config key and message a config is refused with. */
function configRefusal(rareBuckets: unknown): { key: string; message: string } {
  try {
    parseServiceConfig({
      ensemble: {
        strategy: 'stacking',
        detectors: [{ type: 'embedding', embedder: 'hashing', rareBuckets }],
      },
    });
  } catch (err) {
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    return { key: (err as InvalidOptionsError).option, message: (err as Error).message };
  }
  throw new Error('expected the config to be refused');
}

describe('rareBuckets in specs, the service config and the CLI', () => {
  it('a spec with rareBuckets builds the detector the library builds with the option: same fitted state', async () => {
    const rule = { minConversations: 3, action: 'shrink', count: 'eachClass' } as const;
    const fromSpec = (await createDetector({
      type: 'embedding',
      embedder: 'hashing',
      rareBuckets: rule,
    })) as EmbeddingCentroidDetector;
    const direct = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder(), rareBuckets: rule });
    await fromSpec.fit(TRAIN);
    await direct.fit(TRAIN);
    const state = fromSpec.toJSON();
    expect(state['rareBuckets']).toEqual(rule);
    expect(state).toEqual(direct.toJSON());
    // Without the option the spec fits the detector without the rule.
    const plain = await createDetector({ type: 'embedding', embedder: 'hashing' });
    await (plain as EmbeddingCentroidDetector).fit(TRAIN);
    expect((plain as EmbeddingCentroidDetector).toJSON()).not.toHaveProperty('rareBuckets');
  });

  it('the service config refuses a bad rule at its key, with the detector’s own message', () => {
    expect(configRefusal({ minConversations: 1 })).toMatchObject({
      key: 'ensemble.detectors[0].rareBuckets.minConversations',
      message: expect.stringContaining(
        '"ensemble.detectors[0].rareBuckets.minConversations": expected an integer >= 2',
      ),
    });
    // The key is said once (it was repeated three times, in three spellings).
    expect(configRefusal({ minConversations: 1 }).message.match(/minConversations/g)).toHaveLength(1);
    expect(configRefusal({ minConversations: 3, count: 'both' }).key).toBe(
      'ensemble.detectors[0].rareBuckets.count',
    );
    expect(configRefusal({ minConversations: 3, keep: true }).message).toContain('unknown key "keep"');
    expect(configRefusal(10).key).toBe('ensemble.detectors[0].rareBuckets');
    const ok = parseServiceConfig({
      ensemble: {
        strategy: 'weighted-mean',
        detectors: [{ type: 'embedding', embedder: 'hashing', rareBuckets: { minConversations: 10 } }],
      },
    });
    expect(ok.ensemble?.detectors[0]?.['rareBuckets']).toEqual({ minConversations: 10 });
  });

  it('--rare-buckets sets the embedding spec only, and refuses a malformed rule or no embedding detector', () => {
    const specs = specsFromFlags({ ...flags, rareBuckets: '10, eachClass' });
    expect(specs).toEqual([
      { type: 'heuristic' },
      { type: 'embedding', embedder: 'hashing', rareBuckets: { minConversations: 10, count: 'eachClass' } },
    ]);
    expect(specsFromFlags({ ...flags, rareBuckets: '4,shrink,any' })[1]?.['rareBuckets']).toEqual({
      minConversations: 4,
      action: 'shrink',
      count: 'any',
    });
    for (const bad of ['', ' ', '0x10', '1.5', 'ten', '10,keep', '10,drop,shrink', '10,any,eachClass']) {
      expect(() => specsFromFlags({ ...flags, rareBuckets: bad }), bad).toThrow(
        `"--rare-buckets": got "${bad}"; give the fewest training conversations`,
      );
    }
    // Named by its own flag (it was reported under "--detectors embedding" by the spec check before).
    for (const low of ['1', '0', '-3']) {
      expect(() => specsFromFlags({ ...flags, rareBuckets: low }), low).toThrow(
        `"--rare-buckets": got "${low}"; give the fewest training conversations a hashed position must occur in (a whole number, 2 or more)`,
      );
    }
    expect(() => specsFromFlags({ ...flags, detectors: 'heuristic', rareBuckets: '10' })).toThrow(
      /"--rare-buckets": applies to the embedding detector, which --detectors heuristic does not list/,
    );
    // It describes a fit, so it is refused next to a fitted file, never ignored.
    expect(() =>
      fittedLoadOptions(
        { ...flags, rareBuckets: '10', explicit: { rareBuckets: '--rare-buckets' } },
        'fitted.json',
        new Map(),
      ),
    ).toThrow(/--rare-buckets cannot be used with the fitted model fitted\.json/);
  });

  it('botlens fit --rare-buckets saves the rule in the fitted embedding member', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-rare-buckets-'));
    const data = join(dir, 'train.jsonl');
    writeFileSync(data, `${TRAIN.map((t) => JSON.stringify(t)).join('\n')}\n`);
    const out = join(dir, 'fitted.json');
    const program = new Command('botlens').exitOverride();
    registerFitCommand(program);
    const fit = 'fit --detectors heuristic,embedding --embedder hashing --rare-buckets 2,eachClass --quiet';
    await program.parseAsync([...fit.split(' '), '--data', data, '--out', out], { from: 'user' });
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { members: DetectorState[] };
    expect(saved.members.map((m) => m.kind)).toEqual(['heuristic', 'embedding']);
    expect(saved.members[1]!['rareBuckets']).toEqual({
      minConversations: 2,
      action: 'drop',
      count: 'eachClass',
    });
  }, 60_000);
});
