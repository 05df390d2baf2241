/**
 * `--member-prefix-cuts` and `--member-prefix-cut-share` (fit, eval, detect, score) and the config file's
 * `memberPrefixCuts` and `memberPrefixCutShare` choose the prefix cuts a stacking ensemble fits its members on
 * and the share of training transcripts they come from; both are saved in the fitted state, so next to a
 * fitted file the flags are refused, never ignored.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensembleSpecSchema } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');
const work = useWorkDir('botlens-prefix-cuts-flag-');

/** The fields of a saved stacking ensemble these tests read. */
interface SavedCuts {
  memberPrefixCuts: number[];
  memberPrefixCutShare: number;
}

describe('--member-prefix-cuts', () => {
  it('fit saves the chosen cuts ("none" = whole transcripts only); next to a fitted file it is refused', async () => {
    const out = work.path('none.json');
    const saved = await fitWithCli<SavedCuts>(
      CHATS,
      ['--detectors', 'heuristic', '--strategy', 'stacking', '--member-prefix-cuts', 'none'],
      out,
    );
    expect(saved.memberPrefixCuts).toEqual([]);

    const t = work.path('t.json');
    await writeFile(t, JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello there!' }] }));
    const refused = await runCli(['detect', t, '--model', out, '--member-prefix-cuts', '1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--member-prefix-cuts cannot be used with the fitted model/);
  }, 120_000);

  it('rejects a list that is not positive integers, on the command line and in a config file', async () => {
    const bad = await runCli([
      'fit',
      '--data',
      CHATS,
      ...'--detectors heuristic --strategy stacking --member-prefix-cuts 1,x --out'.split(' '),
      work.path('never.json'),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--member-prefix-cuts.*1,x/);
    const parsed = ensembleSpecSchema.safeParse({
      strategy: 'stacking',
      memberPrefixCuts: [0],
      detectors: [{ type: 'heuristic' }],
    });
    expect(parsed.success).toBe(false);
  }, 60_000);

  it('a config spec passes memberPrefixCuts to the ensemble', async () => {
    const e = await createEnsemble(
      ensembleSpecSchema.parse({
        strategy: 'stacking',
        memberPrefixCuts: [1, 2],
        detectors: [{ type: 'heuristic' }],
      }),
    );
    expect(e.toJSON().memberPrefixCuts).toEqual([1, 2]);
  });

  it('--member-prefix-cut-share is saved by fit, checked, and refused next to a fitted file', async () => {
    const out = work.path('half.json');
    const saved = await fitWithCli<SavedCuts>(
      CHATS,
      ['--detectors', 'heuristic', '--strategy', 'stacking', '--member-prefix-cut-share', '0.5'],
      out,
    );
    expect(saved.memberPrefixCutShare).toBe(0.5);
    expect(saved.memberPrefixCuts).toEqual([1]);

    const t = work.path('t.json');
    await writeFile(t, JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'Hello there!' }] }));
    const refused = await runCli(['detect', t, '--model', out, '--member-prefix-cut-share', '1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--member-prefix-cut-share cannot be used with the fitted model/);

    for (const v of ['0', '1.5', 'x']) {
      const bad = await runCli([
        'fit',
        '--data',
        CHATS,
        ...`--detectors heuristic --strategy stacking --member-prefix-cut-share ${v} --out`.split(' '),
        work.path('never.json'),
      ]);
      expect(bad.code).toBe(2); // a usage error, checked while the flags are parsed
      expect(bad.stderr).toContain(
        `option '--member-prefix-cut-share <share>' argument '${v}' is invalid. got "${v}"`,
      );
    }
  }, 180_000);

  it('a config spec passes memberPrefixCutShare to the ensemble and refuses one outside (0, 1]', async () => {
    const spec = { strategy: 'stacking', detectors: [{ type: 'heuristic' }] };
    const e = await createEnsemble(ensembleSpecSchema.parse({ ...spec, memberPrefixCutShare: 0.5 }));
    expect(e.toJSON().memberPrefixCutShare).toBe(0.5);
    for (const share of [0, 1.01, '0.5']) {
      expect(ensembleSpecSchema.safeParse({ ...spec, memberPrefixCutShare: share }).success).toBe(false);
    }
  });
});
