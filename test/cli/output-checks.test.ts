/**
 * Every output a command writes is checked before any model loads or any work starts (its folder exists, is a
 * folder and is writable; an existing output needs the command's flag), messages speak in flags, and --model-dir is
 * checked up front: real `botlens` child processes, real files.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { runCli } from '../helpers/run-cli.js';

let tmp: string;
let data: string;
let corpus: string;
/** A folder this process cannot write in: a chmod 555 folder, or /sys for root (which chmod does not stop). */
let unwritable: string | undefined;

function canWrite(dir: string): boolean {
  const probe = join(dir, `.botlens-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-output-checks-'));
  data = join(tmp, 'train.jsonl');
  await writeFile(data, labelledJsonl(12));
  corpus = join(tmp, 'corpus.jsonl');
  await writeFile(corpus, labelledJsonl(4));
  const ro = join(tmp, 'ro');
  await mkdir(ro, { mode: 0o555 });
  unwritable = !canWrite(ro) ? ro : existsSync('/sys') && !canWrite('/sys') ? '/sys' : undefined;
  if (!unwritable)
    console.warn('output-checks: no unwritable folder on this machine; those tests are skipped');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('outputs that cannot be written fail before the work', () => {
  it('fit --out in a folder it cannot write fails at once, before fitting, naming --out', async (ctx) => {
    if (!unwritable) ctx.skip();
    const r = await runCli([
      'fit',
      '--data',
      data,
      '--detectors',
      'heuristic,embedding',
      '--embedder',
      'hashing',
      '--out',
      join(unwritable!, 'f.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^botlens: Invalid option "--out": cannot write in the folder .* \(E[A-Z]+\): make it writable, or choose another --out\n$/,
    );
    expect(r.stderr).not.toMatch(/fitted|Cannot write/);
  });

  it('score --out in a missing folder, or naming a folder, says what to do in flags', async () => {
    const missing = await runCli(['score', corpus, '--out', join(tmp, 'nodir', 'x.jsonl'), '--workers', '0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /Invalid option "--out": the folder .*nodir does not exist: create it first/,
    );
    expect(missing.stderr).not.toMatch(/ENOENT: no such file/);
    const folder = await runCli(['score', corpus, '--out', tmp, '--workers', '0']);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/Invalid option "--out": .* is a folder: give a file name for --out/);
    expect(folder.stderr).not.toMatch(/--resume/);
  });

  it('score --rejects it cannot write fails before scoring and leaves no --out behind', async (ctx) => {
    if (!unwritable) ctx.skip();
    const out = join(tmp, 'rejects-ro.jsonl');
    const r = await runCli([
      'score',
      corpus,
      '--out',
      out,
      '--rejects',
      join(unwritable!, 'r.jsonl'),
      '--workers',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Invalid option "--rejects": cannot write in the folder/);
    expect(existsSync(out)).toBe(false);
  });

  it('score on an existing --out says to continue it with --resume, in flags only', async () => {
    const out = join(tmp, 'done.jsonl');
    await writeFile(out, '{"line":1}\n');
    const r = await runCli(['score', corpus, '--out', out, '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists: continue it with --resume, or remove it/);
    expect(r.stderr).not.toMatch(/resume: true/);
  });
});

describe('folder outputs are never overwritten silently', () => {
  it('lora train refuses an --out that holds files without --force, before reading anything', async () => {
    const out = join(tmp, 'adapter');
    await mkdir(out);
    await writeFile(join(out, 'adapter_config.json'), 'precious\n');
    const r = await runCli(['lora', 'train', '--model', join(tmp, 'no-model'), '--data', data, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Invalid option "--out": .*adapter already exists: pass --force to replace it/);
    expect(readFileSync(join(out, 'adapter_config.json'), 'utf8')).toBe('precious\n');
  });

  it('lora merge and optimize name their own flags (--force, --overwrite), not library options', async () => {
    const out = join(tmp, 'merged');
    await mkdir(join(out, 'onnx'), { recursive: true });
    await writeFile(join(out, 'onnx', 'model.onnx'), 'x');
    const merge = await runCli([
      'lora',
      'merge',
      '--base',
      join(tmp, 'b'),
      '--adapter',
      join(tmp, 'a'),
      '--out',
      out,
    ]);
    expect(merge.code).toBe(1);
    expect(merge.stderr).toMatch(/already exists: pass --force to replace it/);
    expect(merge.stderr).not.toMatch(/overwrite/);
    const opt = await runCli(['optimize', join(tmp, 'b'), '--out', out]);
    expect(opt.code).toBe(1);
    expect(opt.stderr).toMatch(/already exists: pass --overwrite to replace it/);
    expect(opt.stderr).not.toMatch(/overwrite: true/);
    expect(await readdir(join(out, 'onnx'))).toEqual(['model.onnx']);
    // optimize writes its folder beside a parent that must exist (it does not create parents).
    const orphan = await runCli(['optimize', join(tmp, 'b'), '--out', join(tmp, 'no-parent', 'opt')]);
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toMatch(
      /Invalid option "--out": the folder .*no-parent does not exist: create it first/,
    );
  });

  it('an --out that is a file is refused for a folder output', async () => {
    const file = join(tmp, 'plain-file');
    await writeFile(file, 'x');
    const r = await runCli([
      'lora',
      'train',
      '--model',
      join(tmp, 'no-model'),
      '--data',
      data,
      '--out',
      file,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plain-file is a file: give a folder for --out/);
  });
});

describe('--model-dir is checked up front', () => {
  it('a missing folder or a file fails even when no model would load', async () => {
    const missing = await runCli([
      'detect',
      'examples/transcript.json',
      '--model-dir',
      join(tmp, 'nope-dir'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Invalid option "--model-dir": .*nope-dir is missing/);
    expect(missing.stdout).toBe('');
    const file = join(tmp, 'afile');
    await writeFile(file, 'x');
    const asFile = await runCli(['score', corpus, '--out', join(tmp, 's.jsonl'), '--model-dir', file]);
    expect(asFile.code).toBe(1);
    expect(asFile.stderr).toMatch(/Invalid option "--model-dir": .*afile is not a folder/);
    const ok = await runCli(['detect', 'examples/transcript.json', '--model-dir', tmp]);
    expect(ok.code).toBe(0);
  });
});
