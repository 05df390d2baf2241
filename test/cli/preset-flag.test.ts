/**
 * Named ensembles: `ensemblePresetSpec('transfer')` in the library and `--preset transfer` on `fit` and `eval`
 * build the same ensemble and fit it to the same saved state (which loads back unchanged and scores with `detect
 * --model`); a flag that sets what the preset fixes is refused with a message naming it, never silently
 * overridden, and `detect`/`score` refuse the unfitted stacking preset, saying how to fit it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerDetectCommand } from '../../src/cli/commands/detect.js';
import { registerEvalCommand } from '../../src/cli/commands/eval.js';
import { registerFitCommand } from '../../src/cli/commands/fit.js';
import { registerScoreCommand } from '../../src/cli/commands/score.js';
import {
  type DetectorFlags,
  ensembleSpecFromFlags,
  fittedLoadOptions,
} from '../../src/cli/detector-flags.js';
import { refuseUnfittedSpec } from '../../src/cli/refuse-unfitted.js';
import type { DetectorState } from '../../src/core/detector.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import {
  ENSEMBLE_PRESET_NAMES,
  ENSEMBLE_PRESETS,
  ensemblePresetSpec,
} from '../../src/detectors/ensemble-presets.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { createEnsemble, detectorFromFile } from '../../src/detectors/registry.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import {
  thrownInvalidOptions as refusal,
  rejectedInvalidOptions as rejection,
} from '../helpers/option-refusal.js';
import { runCli } from '../helpers/run-cli.js';
import { CHATS, writeTwoSourceChats } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-preset-');
let data = '';

beforeAll(async () => {
  data = work.path('sourced.jsonl');
  await writeTwoSourceChats(data);
});

/** A program with the four commands that take `--preset`, which throws instead of exiting. */
function presetCommands(): Command {
  const program = new Command('botlens').exitOverride();
  for (const register of [
    registerDetectCommand,
    registerEvalCommand,
    registerFitCommand,
    registerScoreCommand,
  ]) {
    register(program);
  }
  return program;
}

/** The flags as commander hands them over for `--preset transfer` plus `given` (attribute → value), defaults kept. */
function presetFlags(given: Record<string, unknown> = {}): DetectorFlags {
  const flagOf: Record<string, string> = {
    detectors: '--detectors',
    strategy: '--strategy',
    memberFeatures: '--no-member-features',
    prior: '--prior',
    embedder: '--embedder',
    rareBuckets: '--rare-buckets',
    knnStopShare: '--knn-stop-share',
    dtype: '--dtype',
    threshold: '--threshold',
    noveltyGuard: '--novelty-guard',
    memberPrefixCuts: '--member-prefix-cuts',
    memberPrefixCutShare: '--member-prefix-cut-share',
    threads: '--threads',
    device: '--device',
    model: '--model',
  };
  return {
    detectors: 'heuristic',
    strategy: 'weighted-mean',
    model: [],
    memberFeatures: true,
    preset: 'transfer',
    ...given,
    explicit: Object.fromEntries([
      ['preset', '--preset'],
      ...Object.keys(given).map((k) => [k, flagOf[k] ?? k]),
    ]),
  };
}

describe('ensemble presets', () => {
  it('ensemblePresetSpec returns a copy of the table entry, which cannot be changed; an unknown name is refused', () => {
    expect(ENSEMBLE_PRESET_NAMES).toEqual(['transfer']);
    const spec = ensemblePresetSpec('transfer');
    expect(spec).toEqual({
      strategy: 'stacking',
      memberFeatures: false,
      prior: 0.5,
      detectors: [
        { type: 'heuristic', l2: 10 },
        { type: 'embedding', embedder: 'hashing', rareBuckets: { minConversations: 10, count: 'eachClass' } },
        {
          type: 'partner-contrast',
          targetSignals: ['near_repeat_mean'],
          humanPairs: 0.5,
          balanceClasses: true,
        },
      ],
    });
    spec.detectors[0]!['l2'] = 1;
    spec.prior = 0.2;
    expect(ensemblePresetSpec('transfer').detectors[0]).toEqual({ type: 'heuristic', l2: 10 });
    expect(ensemblePresetSpec('transfer').prior).toBe(0.5);
    expect(Object.isFrozen(ENSEMBLE_PRESETS.transfer.spec.detectors[1]!['rareBuckets'])).toBe(true);
    // The type says what the freeze does, all the way down (before, a shallow Readonly let these compile).
    expect(() => {
      // @ts-expect-error: the preset's members are read-only
      ENSEMBLE_PRESETS.transfer.spec.detectors[0]!.type = 'nli';
    }).toThrow(TypeError);
    expect(() => {
      // @ts-expect-error: so is the list of them
      ENSEMBLE_PRESETS.transfer.spec.detectors.length = 0;
    }).toThrow(TypeError);
    expect(ENSEMBLE_PRESETS.transfer.groupedFit).toBe(true);
    const e = refusal(() => ensemblePresetSpec('fast' as 'transfer'));
    expect(e.option).toBe('preset');
    expect(e.message).toContain('got "fast"; use one of transfer');
  });

  it('--preset builds the preset spec, ignores the --detectors/--strategy defaults, and applies the flags it leaves open', () => {
    expect(ensembleSpecFromFlags(presetFlags())).toEqual(ensemblePresetSpec('transfer'));
    expect(
      ensembleSpecFromFlags(
        presetFlags({ threshold: '0.6', noveltyGuard: 'fallback', memberPrefixCuts: '1,2', threads: '2' }),
      ),
    ).toEqual({
      ...ensemblePresetSpec('transfer'),
      threshold: 0.6,
      noveltyGuard: 'fallback',
      memberPrefixCuts: [1, 2],
      // --threads goes to the members that take it (the embedding detector), as with --detectors.
      detectors: ensemblePresetSpec('transfer').detectors.map((d) =>
        d.type === 'embedding' ? { ...d, threads: 2 } : d,
      ),
    });
  });

  it('a flag that sets what the preset fixes is refused, naming it and what applies instead', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ detectors: 'heuristic,embedding' }, '--detectors'],
      [{ strategy: 'stacking' }, '--strategy'],
      [{ prior: '0.2' }, '--prior'],
      [{ memberFeatures: false }, '--no-member-features'],
      [{ embedder: 'transformers' }, '--embedder'],
      [{ rareBuckets: '20' }, '--rare-buckets'],
      [{ knnStopShare: '0.1' }, '--knn-stop-share'],
      [{ dtype: 'q8' }, '--dtype'],
      [{ model: ['embedding=Xenova/e5-small-v2'] }, '--model'],
    ];
    for (const [given, flag] of cases) {
      const e = refusal(() => ensembleSpecFromFlags(presetFlags(given)));
      expect(e.option, flag).toBe(flag);
      expect(e.message, flag).toContain(`cannot be used with --preset transfer: it fixes the detectors`);
    }
    const two = refusal(() => ensembleSpecFromFlags(presetFlags({ strategy: 'cascade', prior: '0.3' })));
    expect(two.message).toContain(
      '"--strategy": --strategy, --prior cannot be used with --preset transfer: it fixes the detectors (heuristic, embedding, partner-contrast) and their options, strategy "stacking", memberFeatures false, prior 0.5. Leave them out, or describe the ensemble with --detectors and --strategy instead of --preset. Next to --preset, --novelty-guard, --member-prefix-cuts, --member-prefix-cut-share, --threshold apply; --model-dir, --threads and --device reach only members that run a model, and transfer has none.',
    );
    // detect and score only score: an unfitted stacking preset is refused there, saying how to fit it.
    const unfitted = await rejection(refuseUnfittedSpec(presetFlags(), 'detect'));
    expect(unfitted.option).toBe('--preset');
    expect(unfitted.message).toContain(
      '--preset transfer cannot score until it is fitted on labelled data (the "stacking" strategy learns its combiner from labelled data, and detectors "embedding", "partner-contrast" have nothing to score with before they are fitted): fit it first (botlens fit --preset transfer --data train.jsonl --out fitted.json, adding --group-by FIELD when the data mixes populations), then rerun this command with --model fitted.json in place of the flags that describe the ensemble (--preset)',
    );
    expect((await rejection(refuseUnfittedSpec(presetFlags(), 'eval'))).message).toContain(
      'have nothing to score with before they are fitted): give --fit train.jsonl to fit it before it is scored, adding --group-by FIELD when the data mixes populations; or fit it first (botlens fit --preset transfer --data train.jsonl --out fitted.json, adding --group-by FIELD when the data mixes populations) and rerun this command with --model fitted.json in place of the flags that describe the ensemble (--preset)',
    );
    // A fitted file passes, and the check holds no model to give back.
    const release = await refuseUnfittedSpec(presetFlags({ model: ['fitted.json'] }), 'detect');
    await expect(release()).resolves.toBeUndefined();
    // A fitted file fixes its ensemble: --preset next to it is refused too.
    expect(() => fittedLoadOptions(presetFlags(), 'fitted.json', new Map())).toThrow(
      /--preset cannot be used with the fitted model fitted\.json/,
    );
  });

  it('botlens fit --preset transfer --group-by source saves what the library preset fits, and it loads back unchanged', async () => {
    const out = work.path('transfer.json');
    const program = new Command('botlens').exitOverride();
    registerFitCommand(program);
    await program.parseAsync(
      ['fit', '--preset', 'transfer', '--group-by', 'source', '--quiet', '--data', data, '--out', out],
      { from: 'user' },
    );
    const saved = JSON.parse(await readFile(out, 'utf8')) as DetectorState & { members: DetectorState[] };
    // The library: the same spec, fitted with the same groups.
    const train = await readTranscriptsJsonl(data, { fields: ['source'] });
    const library = await createEnsemble(ensemblePresetSpec('transfer'));
    await library.fit(train, { groups: train.map((r) => String(r.fields?.['source'])) });
    expect(saved).toEqual(JSON.parse(JSON.stringify(library.toJSON())));
    expect(saved.members.map((m) => m.kind)).toEqual(['heuristic', 'embedding', 'partner-contrast']);
    expect(saved).toMatchObject({
      strategy: 'stacking',
      memberFeatures: false,
      prior: 0.5,
      groupedFolds: true,
    });
    expect(saved.members[0]).toMatchObject({ l2: 10 });
    expect(saved.members[1]).toMatchObject({ rareBuckets: { minConversations: 10, count: 'eachClass' } });
    const loaded = await detectorFromFile(out);
    expect(JSON.parse(JSON.stringify(loaded.toJSON!()))).toEqual(saved);
    // detect scores with the fitted file, as the refusal of an unfitted --preset tells the user to.
    const t = work.path('t.json');
    await writeFile(t, JSON.stringify(train[0]));
    const detected = await runCli(['detect', t, '--model', out]);
    expect(detected.code).toBe(0);
    const want = await loaded.detect(train[0]!);
    expect(JSON.parse(detected.stdout).score).toBeCloseTo(want.score!, 12);
    await Promise.all([library.dispose(), loaded.dispose?.()]);
  }, 120_000);

  it('botlens eval --preset transfer fits and reports the preset; conflicts exit non-zero with the reason', async () => {
    const evalPreset = ['eval', '--preset', 'transfer', '--fit', data, '--data', data, '--json', '--quiet'];
    const r = await runCli([...evalPreset, '--group-by', 'source']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      n: 60,
      preset: 'transfer',
      detectors: 'heuristic,embedding,partner-contrast',
      strategy: 'stacking',
    });
    // Without --group-by it still fits, and says how the preset is meant to be fitted (not with --quiet).
    const plain = await runCli(evalPreset.filter((a) => a !== '--quiet'));
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('--preset transfer is meant to be fitted on folds grouped by population');
    const quiet = await runCli(evalPreset);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const conflict = await runCli([
      'eval',
      '--preset',
      'transfer',
      '--strategy',
      'cascade',
      '--fit',
      data,
      '--data',
      data,
    ]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('--strategy cannot be used with --preset transfer');
    const unknown = await runCli(['eval', '--preset', 'fast', '--data', data]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/--preset.*fast.*transfer/);
  }, 120_000);

  it('detect, score and eval without --fit refuse an unfitted --preset before reading any data', async () => {
    const missing = work.path('missing.jsonl');
    const cases: [string[], string][] = [
      [
        ['detect', missing, '--preset', 'transfer'],
        'then rerun this command with --model fitted.json in place of the flags that describe the ensemble (--preset)',
      ],
      [
        ['score', missing, '--out', work.path('scores.jsonl'), '--preset', 'transfer'],
        'then rerun this command with --model fitted.json in place of the flags that describe the ensemble (--preset)',
      ],
      [
        ['eval', '--data', missing, '--preset', 'transfer'],
        'give --fit train.jsonl to fit it before it is scored',
      ],
    ];
    for (const [args, advice] of cases) {
      // The data file does not exist: a refusal that came after reading it would be about the file.
      const thrown = await presetCommands()
        .parseAsync(args, { from: 'user' })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(InvalidOptionsError.isInstance(thrown), args[0]).toBe(true);
      expect((thrown as InvalidOptionsError).option, args[0]).toBe('--preset');
      expect((thrown as Error).message, args[0]).toContain(advice);
    }
  });

  it('--preset help says where a preset is fitted: fit, eval with --fit, and not detect or score', () => {
    const program = presetCommands();
    const help = (name: string) =>
      program.commands
        .find((c) => c.name() === name)!
        .helpInformation()
        .replace(/\s+/g, ' ');
    for (const name of ['detect', 'score']) {
      expect(help(name), name).toContain(
        '--preset <name> for fit and eval --fit, not here: a preset must be fitted before it scores, so fit it (botlens fit --preset NAME --data train.jsonl --out fitted.json) and pass --model fitted.json',
      );
    }
    expect(help('eval')).toContain(
      '--preset <name> with --fit: a named ensemble instead of --detectors and --strategy',
    );
    expect(help('fit')).toContain('--preset <name> a named ensemble instead of --detectors and --strategy');
    expect(help('fit')).toContain(
      '--quiet no progress display, and no note on how a --preset is meant to be fitted',
    );
  });

  it('eval --model fitted.json reports the detectors and strategy it loaded, not the flag defaults', async () => {
    const train = await readTranscriptsJsonl(CHATS);
    const stacked = await createEnsemble({
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, { type: 'partner-contrast' }],
    });
    await stacked.fit(train);
    const ensembleFile = work.path('stacked.json');
    await writeFile(ensembleFile, JSON.stringify(stacked.toJSON()));
    // Before: "detectors":"heuristic","strategy":"weighted-mean" (the --detectors and --strategy defaults).
    const r = await runCli(['eval', '--data', CHATS, '--model', ensembleFile, '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      detectors: 'heuristic,partner-contrast',
      strategy: 'stacking',
    });
    const table = await runCli(['eval', '--data', CHATS, '--model', ensembleFile, '--quiet']);
    expect(table.stdout).toMatch(/detectors\s+heuristic,partner-contrast\n/);
    expect(table.stdout).toMatch(/strategy\s+stacking\n/);
    // A fitted file may hold a single detector: its name, and no strategy.
    const single = new HeuristicDetector();
    await single.fit(train);
    const singleFile = work.path('heuristic.json');
    await writeFile(singleFile, JSON.stringify(single.toJSON()));
    const one = JSON.parse((await runCli(['eval', '--data', CHATS, '--model', singleFile, '--json'])).stdout);
    expect(one.detectors).toBe('heuristic');
    expect(one).not.toHaveProperty('strategy');
    await stacked.dispose();
  }, 120_000);
});
