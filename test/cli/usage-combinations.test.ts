/**
 * Usage errors found after the command line parses (a combination of flags a command refuses, a flag it needs, a
 * value a sub-option refuses) read like commander's own: exit 2, one line naming the flags as typed, and the
 * `--help` hint, before any file is read. Real child processes running the CLI from source.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCliTerms } from '../../src/cli/cli-wording.js';
import { runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-usage-'));
const row = JSON.stringify({ target: 'x', label: 'bot', messages: [{ speaker: 'x', text: 'hello' }] });
const data = join(tmp, 'data.jsonl');
writeFileSync(data, `${row}\n`);

/** Expects a usage error: exit 2, the `--help` hint of `command`, no stack trace. */
function expectUsage(r: { code: number | null; stderr: string }, command: string): void {
  expect(r.stderr).toMatch(/^botlens: error: /);
  expect(r.stderr).toContain(`Run botlens ${command} --help for usage.\n`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
}

describe('eval --fit next to a fitted --model', () => {
  it('is refused, naming both flags and what to do instead', async () => {
    const r = await runCli(['eval', '--data', data, '--fit', data, '--model', join(tmp, 'fitted.json')]);
    expectUsage(r, 'eval');
    expect(r.stderr).toContain('--fit');
    expect(r.stderr).toContain(`--model ${join(tmp, 'fitted.json')}`);
    expect(r.stderr).toMatch(/without --fit/);
    expect(r.stdout).toBe('');
  });
});

describe('usage errors of the model and service commands', () => {
  it('serve --auth with a value not in its choices: exit 2 naming the choices', async () => {
    const r = await runCli(['serve', '--port', '0', '--auth', 'nonee']);
    expectUsage(r, 'serve');
    expect(r.stderr).toContain("option '--auth <mode>' argument 'nonee' is invalid");
    expect(r.stderr).toMatch(/bearer, none/);
  });

  it('lora merge without --adapter: the missing flag, not the library option "adapter"', async () => {
    const r = await runCli(['lora', 'merge', '--base', tmp, '--out', join(tmp, 'merged')]);
    expectUsage(r, 'lora merge');
    expect(r.stderr).toContain("required option '--adapter <dir>' not specified");
    expect(r.stderr).not.toContain('"adapter"');
  });

  it('quantize --dtype q8: the unknown option, not a missing --bits', async () => {
    const r = await runCli(['quantize', tmp, '--dtype', 'q8']);
    expectUsage(r, 'quantize');
    expect(r.stderr).toContain("unknown option '--dtype'");
    const missing = await runCli(['quantize', tmp]);
    expectUsage(missing, 'quantize');
    expect(missing.stderr).toContain("required option '--bits <n>' not specified");
  });
});

describe('CLI messages name flags, not library options', () => {
  it('optimize onto its input names --out and the input folder', async () => {
    const r = await runCli(['optimize', tmp, '--out', tmp, '--overwrite']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^botlens: Invalid option "--out": .* is the input folder .*: choose another --out\n$/,
    );
  });

  it('pull names --hub-url when the hub cannot be reached or the URL is wrong', async () => {
    const env = { BOTLENS_OFFLINE: '0', HF_ENDPOINT: '' };
    const down = await runCli(['pull', 'Xenova/x', '--hub-url', 'http://127.0.0.1:1'], { env });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('check the network and --hub-url');
    expect(down.stderr).not.toContain('hubUrl');
    const bad = await runCli(['pull', 'Xenova/x', '--hub-url', 'ftp://x'], { env });
    expect(bad.stderr).toMatch(/^botlens: Invalid option "--hub-url": expected an http\(s\) URL/);
  });

  it('a command with no --hub-url names HF_ENDPOINT; an option with no flag is kept', () => {
    const m = 'Could not reach the hub at x (4 attempts): check the network and hubUrl.';
    expect(inCliTerms(m, new Set(['--model']))).toContain('check the network and HF_ENDPOINT');
    expect(inCliTerms('Invalid option "out": x: choose another out', new Set(['--out']))).toBe(
      'Invalid option "--out": x: choose another --out',
    );
    expect(inCliTerms('Invalid option "limits": x', new Set(['--out']))).toBe('Invalid option "limits": x');
  });
});

describe('detector flags that cannot go together', () => {
  const missing = join(tmp, 'not-there.jsonl');
  const out = join(tmp, 'never-written.json');
  it.each([
    [
      'a stacking-only flag under weighted-mean (fit)',
      ['fit', '--data', missing, '--out', out, '--strategy', 'weighted-mean', '--no-member-features'],
      /^botlens: Invalid option "--no-member-features": applies to the stacking strategy only/,
    ],
    [
      'a stacking-only flag under weighted-mean (detect)',
      ['detect', missing, '--prior', '0.3'],
      /^botlens: Invalid option "--prior": applies to the stacking strategy only/,
    ],
    [
      'a stacking-only flag under weighted-mean (score)',
      ['score', missing, '--out', join(tmp, 'scores.jsonl'), '--novelty-guard', 'off'],
      /^botlens: Invalid option "--novelty-guard": applies to the stacking strategy only/,
    ],
    [
      'a flag the preset fixes (eval --fit)',
      ['eval', '--data', missing, '--fit', missing, '--preset', 'transfer', '--detectors', 'heuristic'],
      /^botlens: Invalid option "--detectors": --detectors cannot be used with --preset transfer/,
    ],
    [
      'a flag that describes a new ensemble next to a fitted file',
      ['detect', missing, '--model', join(tmp, 'fitted.json'), '--strategy', 'stacking'],
      /^botlens: Invalid option "--strategy": --strategy cannot be used with the fitted model/,
    ],
    [
      '--group-by under weighted-mean (fit)',
      ['fit', '--data', missing, '--out', out, '--strategy', 'weighted-mean', '--group-by', 'source'],
      /^botlens: Invalid option "--group-by": --strategy weighted-mean learns no combiner/,
    ],
    [
      '--group-by over one detector (fit)',
      ['fit', '--data', missing, '--out', out, '--detectors', 'heuristic', '--group-by', 'source'],
      /^botlens: Invalid option "--group-by": --detectors heuristic lists one detector/,
    ],
    [
      '--group-by naming no field (eval --fit)',
      ['eval', '--data', missing, '--fit', missing, '--group-by', ' '],
      /^botlens: Invalid option "--group-by": name a record field/,
    ],
  ])('%s: exit 2 with the --help hint, before the data is read', async (_what, args, said) => {
    const r = await runCli(args);
    expect(r.stderr).toMatch(said);
    expect(r.stderr).toContain(`\nRun botlens ${args[0]} --help for usage.\n`);
    expect(r.stderr.split('\n')).toHaveLength(3); // the message, the hint, and the end of the last line
    expect(r.stderr).not.toMatch(/Cannot read|\n\s+at /);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('detect --json --pretty: exit 2, naming both', async () => {
    const r = await runCli(['detect', missing, '--json', '--pretty']);
    expectUsage(r, 'detect');
    expect(r.stderr).toContain('--json and --pretty cannot both be given');
  });
});
