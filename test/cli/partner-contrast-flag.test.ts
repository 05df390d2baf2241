/**
 * `--detectors ...,partner-contrast`: the CLI fits the partner-contrast detector as a stacking member, saves it
 * in the fitted file, and `detect --model` scores with it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');
const work = useWorkDir('botlens-partner-contrast-');

describe('--detectors partner-contrast', () => {
  it('fit saves it as a stacking member and detect --model scores with it', async () => {
    const out = work.path('contrast.json');
    const saved = await fitWithCli<{ members: { kind: string; weights: number[]; signals: string[] }[] }>(
      CHATS,
      ['--detectors', 'heuristic,partner-contrast', '--strategy', 'stacking'],
      out,
    );
    expect(saved.members.map((m) => m.kind)).toEqual(['heuristic', 'partner-contrast']);
    expect(saved.members[1]?.weights).toHaveLength(saved.members[1]?.signals.length ?? -1);

    const t = work.path('t.json');
    await writeFile(
      t,
      JSON.stringify({
        target: 'x',
        messages: [
          { speaker: 'u', text: 'hey' },
          { speaker: 'x', text: 'Hello! I am happy to help you today. What would you like to know?' },
          { speaker: 'u', text: 'nothing much' },
          { speaker: 'x', text: 'Sure! Here is what I know about that topic. Could you tell me more?' },
        ],
      }),
    );
    const detected = await runCli(['detect', t, '--model', out, '--json']);
    expect(detected.stderr).not.toMatch(/error/i);
    expect(detected.code).toBe(0);
    const members = JSON.parse(detected.stdout).members as { detector: string; score: number | null }[];
    const contrast = members.find((m) => m.detector === 'partner-contrast');
    expect(contrast?.score).toBeGreaterThan(0);
    expect(contrast?.score).toBeLessThan(1);
  });

  it('refuses to score with an unfitted partner-contrast detector, saying to fit it', async () => {
    const t = work.path('u.json');
    await writeFile(t, JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'hi' }] }));
    const r = await runCli(['detect', t, '--detectors', 'partner-contrast']);
    expect(r.code).toBe(1);
    // Refused before the transcript is read, with the command that fits it.
    expect(r.stderr).toContain(
      'detector "partner-contrast" has nothing to score with before it is fitted): fit it first (botlens fit --detectors partner-contrast --strategy weighted-mean --data train.jsonl --out fitted.json), then rerun this command with --model fitted.json in place of the flags that describe the ensemble (--detectors)',
    );
  });
});
