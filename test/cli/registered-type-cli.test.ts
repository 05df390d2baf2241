/**
 * A detector type registered with `registerDetector` loads in the CLI when the registration runs in the CLI's own
 * process (`node --import ./register`, as docs/guide.md section 9 says), and a fitted file naming a type that is
 * not registered says how to register it. Real CLI child processes on real files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { ROOT, runProcess } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const REGISTER = join(ROOT, 'test/fixtures/register-constant-detector.ts');

/** Runs the CLI from source, with `imports` loaded first (as NODE_OPTIONS="--import ..." does). */
function cli(args: readonly string[], imports: readonly string[] = []) {
  const pre = imports.flatMap((m) => ['--import', m]);
  return runProcess(process.execPath, ['--import', 'tsx', ...pre, join(ROOT, 'src/cli/main.ts'), ...args], {
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' },
  });
}

describe('a registered detector type in the CLI', () => {
  const work = useWorkDir('botlens-registered-cli-');

  it('fits and detects with --import; without it the error says how to register the type', async () => {
    const data = work.path('train.jsonl');
    const fitted = work.path('fitted.json');
    const chat = work.path('chat.json');
    writeFileSync(data, labelledJsonl(12));
    writeFileSync(chat, `${labelledJsonl(1).split('\n')[0]}\n`);
    const fit = await cli(
      [
        'fit',
        '--data',
        data,
        '--detectors',
        'heuristic,constant',
        '--strategy',
        'weighted-mean',
        '--out',
        fitted,
        '--quiet',
      ],
      [REGISTER],
    );
    expect(fit.stderr).not.toMatch(/error/i);
    expect(fit.code).toBe(0);

    const without = await cli(['detect', chat, '--model', fitted]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain(
      'a custom type must be registered with registerDetector in this process',
    );
    expect(without.stderr).toContain('NODE_OPTIONS="--import ./register.mjs"');

    const withIt = await cli(['detect', chat, '--model', fitted], [REGISTER]);
    expect(withIt.stderr).toBe('');
    expect(withIt.code).toBe(0);
    expect(JSON.parse(withIt.stdout)).toMatchObject({
      members: [{ detector: 'heuristic' }, { detector: 'constant' }],
    });
  });
});
