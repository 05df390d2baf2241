/**
 * The `botlens fit` command printed for a spec leaves out what a spec sets to its default: `memberFeatures: true`,
 * which no flag gives (`--no-member-features` only turns it off), and member options that hold their type's default
 * (a `name` equal to the type, a `threshold` of 0.5). Before, such a spec got no command, only the in-code advice,
 * though the flags build the same ensemble. The command still runs as printed and fits what the spec fits.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import type { EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { ensemblePresetSpec } from '../../src/detectors/ensemble-presets.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { fitCommand, howToFit } from '../../src/flags/fit-command.js';
import { runPrinted } from '../helpers/printed-fit-command.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-fit-command-');

/** The heuristic and the hashing embedding under stacking, each default spelt out. */
const SPELT_OUT: EnsembleSpec = {
  strategy: 'stacking',
  memberFeatures: true,
  detectors: [
    { type: 'heuristic', name: 'heuristic', threshold: 0.5 },
    { type: 'embedding', embedder: 'hashing', name: 'embedding' },
  ],
};

describe('fitCommand leaves out values equal to their defaults', () => {
  it('memberFeatures: true and member options at their defaults print no flag', () => {
    const cases: [EnsembleSpec, string][] = [
      [
        { strategy: 'stacking', memberFeatures: true, detectors: [{ type: 'heuristic' }] },
        'botlens fit --detectors heuristic --strategy stacking --data train.jsonl --out fitted.json',
      ],
      [
        SPELT_OUT,
        'botlens fit --detectors heuristic,embedding --strategy stacking --embedder hashing --data train.jsonl --out fitted.json',
      ],
      [
        // Not a default: printed as before.
        { strategy: 'stacking', memberFeatures: false, detectors: [{ type: 'heuristic' }] },
        'botlens fit --detectors heuristic --strategy stacking --no-member-features --data train.jsonl --out fitted.json',
      ],
    ];
    for (const [spec, command] of cases) {
      expect(fitCommand(spec), JSON.stringify(spec)).toEqual({ command, groupedFit: false });
      expect(howToFit(spec)).toBe(command);
    }
  });

  it("a preset's spec with its members' defaults spelt out is still --preset NAME", () => {
    const transfer = ensemblePresetSpec('transfer');
    const spelt: EnsembleSpec = {
      ...transfer,
      detectors: transfer.detectors.map((d) => ({ ...d, name: d.type, threshold: 0.5 })),
    };
    expect(fitCommand(spelt)).toEqual({
      command: 'botlens fit --preset transfer --data train.jsonl --out fitted.json',
      groupedFit: true,
    });
  });

  it('a value that is not the default and has no flag still gets no command', () => {
    for (const spec of [
      { strategy: 'cascade', detectors: [{ type: 'heuristic', name: 'h' }] },
      { strategy: 'cascade', detectors: [{ type: 'heuristic', threshold: 0.6 }] },
      { strategy: 'stacking', memberFeatures: true, detectors: [{ type: 'heuristic', l2: 10 }] },
    ] satisfies EnsembleSpec[]) {
      expect(fitCommand(spec), JSON.stringify(spec)).toBeUndefined();
      expect(howToFit(spec)).toContain('in code, as botlens fit flags cannot give all its options');
    }
  });

  it('the command runs as printed and fits what the spec fits', async () => {
    const command = fitCommand(SPELT_OUT)!.command;
    const dir = work.path('spelt-out');
    const fit = await runPrinted(command, dir);
    expect(fit.stderr).not.toMatch(/error/i);
    expect(fit.code).toBe(0);
    const saved: unknown = JSON.parse(await readFile(join(dir, 'fitted.json'), 'utf8'));
    const library = await createEnsemble(SPELT_OUT);
    try {
      await library.fit(await readTranscriptsJsonl(CHATS));
      expect(saved).toEqual(JSON.parse(JSON.stringify(library.toJSON())));
    } finally {
      await library.dispose();
    }
  }, 120_000);
});
