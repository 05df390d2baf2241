/**
 * Every number flag of the CLI refuses what `Number()` would read as a number nobody meant: an empty or blank
 * value (`Number('') === 0`), hex and binary (`'0x10'` is 16), `Infinity`, `NaN` and half an exponent.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCheckModelCommand } from '../../src/cli/commands/check-model.js';
import { registerDetectCommand } from '../../src/cli/commands/detect.js';
import { registerLoraCommand } from '../../src/cli/commands/lora.js';
import { registerOptimizeCommand } from '../../src/cli/commands/optimize.js';
import { registerQuantizeCommand } from '../../src/cli/commands/quantize.js';
import { registerScoreCommand } from '../../src/cli/commands/score.js';
import { registerServeCommand } from '../../src/cli/commands/serve.js';
import { ensembleSpecFromFlags, parseThreshold } from '../../src/cli/detector-flags.js';
import { transcriptOptionsFromFlags } from '../../src/cli/transcript-flags.js';
import { PROBABILITY } from '../../src/core/number-range.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { parseCount, parseNumberFlag } from '../../src/flags/parse-number.js';
import { MODEL_ZOO } from '../../src/zoo/model-zoo.js';
import { thrownInvalidOptions } from '../helpers/option-refusal.js';
import { ROOT, runProcess } from '../helpers/run-cli.js';

/** Values `Number()` reads as a number (or as 0) that no flag takes. */
const MALFORMED = [
  '',
  ' ',
  '\t',
  '0x10',
  '0b1',
  '0o7',
  '1e',
  'e1',
  '.',
  'Infinity',
  '-Infinity',
  'NaN',
  '1_0',
];

/** The error a call throws (fails the test when it throws none). */
const thrown = thrownInvalidOptions;

describe('number flags', () => {
  it('--threshold "" is refused, not read as 0, and so is every malformed number', () => {
    for (const v of MALFORMED) {
      const e = thrown(() => parseThreshold(v));
      expect(e.option).toBe('--threshold');
      expect(e.message).toContain(`expected a number in [0, 1], got "${v}"`);
    }
    // Blanks around a number are refused too: the value is what was typed, not a trimmed guess.
    expect(() => parseThreshold(' 0.5')).toThrow(InvalidOptionsError);
    for (const [v, want] of [
      ['0', 0],
      ['1', 1],
      ['0.5', 0.5],
      ['.25', 0.25],
      ['1.', 1],
      ['5e-1', 0.5],
      ['+0.7', 0.7],
    ] as const) {
      expect(parseThreshold(v)).toBe(want);
    }
    expect(() => parseThreshold('1.01')).toThrow(/expected a number in \[0, 1\], got "1.01"/);
    expect(parseThreshold(undefined)).toBeUndefined();
  });

  it('the shared detector flags refuse them too (--threads, --prior, --member-prefix-cut-share, --member-prefix-cuts)', () => {
    const base = { detectors: 'heuristic', strategy: 'stacking' as const, model: [] };
    for (const v of MALFORMED) {
      expect(() => ensembleSpecFromFlags({ ...base, threads: v })).toThrow(
        /"--threads".*whole number from 1 to 1024/,
      );
      expect(() => ensembleSpecFromFlags({ ...base, prior: v })).toThrow(`"--prior": got "${v}"`);
      expect(() => ensembleSpecFromFlags({ ...base, memberPrefixCutShare: v })).toThrow(
        `"--member-prefix-cut-share": got "${v}"`,
      );
      if (v.trim() !== '') {
        expect(() => ensembleSpecFromFlags({ ...base, memberPrefixCuts: `1,${v}` })).toThrow(
          /"--member-prefix-cuts": got/,
        );
      }
    }
    expect(ensembleSpecFromFlags({ ...base, threads: '16' }).detectors[0]).toEqual({ type: 'heuristic' });
    const spec = ensembleSpecFromFlags({ ...base, prior: '0.3', memberPrefixCuts: '1, 2', threshold: '0.6' });
    expect([spec.prior, spec.memberPrefixCuts, spec.threshold]).toEqual([0.3, [1, 2], 0.6]);
  });

  it('counts and limits: --max-messages, --workers, --batch-size and the helper itself', () => {
    for (const v of MALFORMED) {
      expect(() => transcriptOptionsFromFlags({ maxMessages: v })).toThrow(/"--max-messages"/);
      // --workers 0 is meaningful (score in this thread), so "" must not become it.
      expect(() => parseCount('--workers', v, 0)).toThrow(`expected a whole number >= 0, got "${v}"`);
    }
    expect(parseCount('--workers', '0', 0)).toBe(0);
    expect(parseCount('--workers', '1e1', 0)).toBe(10);
    expect(() => parseCount('--workers', '1.5', 0)).toThrow(/whole number/);
    expect(() => parseNumberFlag('--x', '1e999', { min: 0, max: Number.POSITIVE_INFINITY })).toThrow(
      /expected a number >= 0, got "1e999"/,
    );
    expect(parseNumberFlag('--t', '0.5', PROBABILITY)).toBe(0.5);
  });

  it('each command refuses a malformed number while parsing, before doing any work', async () => {
    const zooId = Object.keys(MODEL_ZOO)[0]!;
    const transcript = join(ROOT, 'examples/transcript.json');
    // Inputs and outputs that do not exist: a flag that slipped through fails on them, never writes anything.
    const nowhere = join(ROOT, 'no-such-folder');
    const cases: [string[], RegExp][] = [
      [
        ['detect', transcript, '--threshold', ''],
        /'--threshold <[^>]+>' argument '[^']*' is invalid\. expected a number in \[0, 1\], got ""/,
      ],
      [['detect', transcript, '--threads', '0x10'], /'--threads <[^>]+>' argument '[^']*' is invalid/],
      [
        ['serve', '--port', ''],
        /'--port <[^>]+>' argument '[^']*' is invalid\. expected a whole number from 0 to 65535, got ""/,
      ],
      [
        ['score', transcript, '--out', join(nowhere, 'scores.jsonl'), '--batch-size', ' '],
        /'--batch-size <[^>]+>' argument '[^']*' is invalid/,
      ],
      [
        ['quantize', nowhere, '--bits', '8', '--accuracy-level', ''],
        /'--accuracy-level <[^>]+>' argument '[^']*' is invalid/,
      ],
      [
        ['quantize', nowhere, '--bits', '0x8'],
        /'--bits <[^>]+>' argument '[^']*' is invalid\. expected 8 or 4/,
      ],
      [
        ['optimize', nowhere, '--out', join(nowhere, 'out'), '--tolerance', 'Infinity'],
        /'--tolerance <[^>]+>' argument '[^']*' is invalid/,
      ],
      [
        ['check-model', zooId, '--budget', '2GB', '--min-downloads', ''],
        /'--min-downloads <[^>]+>' argument '[^']*' is invalid/,
      ],
      [
        ['check-model', zooId, '--budget', '2GB', '--sequence-length', '0x200'],
        /'--sequence-length <[^>]+>' argument '[^']*' is invalid/,
      ],
      [
        [
          'lora',
          'train',
          '--model',
          'm',
          '--data',
          'd.jsonl',
          '--out',
          join(nowhere, 'adapter'),
          '--seed',
          '',
        ],
        /'--seed <[^>]+>' argument '[^']*' is invalid\. expected a whole number, got ""/,
      ],
    ];
    for (const [args, want] of cases) {
      const program = new Command('botlens').exitOverride();
      for (const register of [
        registerDetectCommand,
        registerServeCommand,
        registerScoreCommand,
        registerQuantizeCommand,
        registerOptimizeCommand,
        registerCheckModelCommand,
        registerLoraCommand,
      ]) {
        register(program);
      }
      await expect(program.parseAsync(args, { from: 'user' }), args.join(' ')).rejects.toThrow(want);
    }
  });

  it('botlens detect --threshold "" exits 2 (a usage error) with a message that says what to pass', async () => {
    const r = await runProcess(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'detect', 'examples/transcript.json', '--threshold', ''],
      { cwd: ROOT, env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' } },
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--threshold.*expected a number in \[0, 1\], got ""/);
    expect(r.stderr).toMatch(/Run botlens detect --help for usage\./);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
