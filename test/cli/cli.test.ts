import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { specsFromFlags } from '../../src/cli/detector-flags.js';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** Runs the CLI from source; resolves with exit code, stdout and stderr (never rejects on a non-zero exit). */
async function botlens(args: string[], input?: string) {
  const child = run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'botlens-cli-'));
const jsonl = join(tmp, 'data.jsonl');
writeFileSync(jsonl, labelledJsonl(20));

describe('botlens CLI', () => {
  it('detect prints the ensemble result as JSON, and --pretty a table', async () => {
    const r = await botlens(['detect', 'examples/transcript.json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { score: number; label: string; members: { detector: string }[] };
    expect(out.label).toBe('bot');
    expect(out.members.map((m) => m.detector)).toEqual(['heuristic']);
    const p = await botlens(['detect', 'examples/transcript.json', '--pretty']);
    expect(p.stdout).toMatch(/^bot {2}P\(bot\) = [01]\.\d{3}/);
    expect(p.stdout).toMatch(/tokenizer_spacing_share/);
  });

  it('detect reads standard input with -', async () => {
    const r = await botlens(['detect', '-'], readFileSync(join(root, 'examples/transcript.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { label: string }).label).toBe('bot');
  });

  it('reports bad input and bad flags with a message and a non-zero exit, never a stack trace', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ messages: [{ speaker: 'a', text: 'x' }], target: 'zz' }));
    const r = await botlens(['detect', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/botlens: Invalid transcript:\n {2}target: target "zz" sent no message/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    const missing = await botlens(['detect', join(tmp, 'nope.json')]);
    expect(missing.stderr).toMatch(/Cannot read .*nope\.json \(ENOENT\)/);
    const unknown = await botlens(['detect', 'examples/transcript.json', '--detectors', 'heuristic,magic']);
    expect(unknown.code).toBe(2); // a value outside the allowed choices: a usage error
    expect(unknown.stderr).toMatch(/"magic" is not a detector; use one of heuristic, nli/);
    const strategy = await botlens(['detect', 'examples/transcript.json', '--strategy', 'vote']);
    expect(strategy.code).not.toBe(0);
    expect(strategy.stderr).toMatch(/Allowed choices are weighted-mean, stacking, cascade/);
    const threads = await botlens(['detect', 'examples/transcript.json', '--threads', '0']);
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/--threads.*whole number from 1 to 1024, got "0"/);
  });

  it('--threads and --device reach the model-backed detectors only', () => {
    const specs = specsFromFlags({
      detectors: 'heuristic,embedding',
      strategy: 'weighted-mean',
      model: [],
      threads: '2',
      device: 'cpu',
    });
    expect(specs).toEqual([{ type: 'heuristic' }, { type: 'embedding', threads: 2, device: 'cpu' }]);
  });

  it('eval --json prints the metrics object; fit saves a model that detect --model loads', async () => {
    const e = await botlens(['eval', '--data', jsonl, '--json']);
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout) as Record<string, number>;
    for (const k of ['n', 'f1', 'precision', 'recall', 'accuracy', 'auroc', 'tprAt1Fpr'])
      expect(m).toHaveProperty(k);
    expect(m['n']).toBe(20);
    expect(m['f1']).toBeGreaterThan(0.9);

    const out = join(tmp, 'fitted.json');
    const f = await botlens([
      'fit',
      '--data',
      jsonl,
      '--out',
      out,
      '--detectors',
      'heuristic,embedding',
      '--embedder',
      'hashing',
    ]);
    expect(f.code).toBe(0);
    const state = JSON.parse(readFileSync(out, 'utf8')) as {
      kind: string;
      strategy: string;
      members: { kind: string }[];
    };
    expect(state).toMatchObject({ kind: 'ensemble', strategy: 'stacking' });
    expect(state.members.map((s) => s.kind)).toEqual(['heuristic', 'embedding']);
    const d = await botlens(['detect', 'examples/transcript.json', '--model', out]);
    expect(d.code).toBe(0);
    const res = JSON.parse(d.stdout) as { strategy: string; members: { detector: string }[] };
    expect(res.strategy).toBe('stacking');
    expect(res.members.map((x) => x.detector).sort()).toEqual(['embedding', 'heuristic']);
  });

  it('lists the model zoo', async () => {
    const r = await botlens(['models']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Xenova\/bart-large-mnli/);
  });
});
