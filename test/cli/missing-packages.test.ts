/**
 * Every optional package a command needs is named at once, in one `npm install` line, before any work: the built
 * CLI run from an app folder whose node_modules lacks bullmq and @huggingface/transformers (every other package
 * linked from this checkout's), and the shared check on a real package that imports a missing one.
 */
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAllOptional } from '../../src/core/optional-import.js';
import { MissingDependencyError } from '../../src/errors/missing-dependency-error.js';
import { ensureBuilt } from '../helpers/built-package.js';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { ROOT, runProcess } from '../helpers/run-cli.js';

/** The packages the app folder lacks. */
const ABSENT = new Set(['bullmq', '@huggingface/transformers', 'onnxruntime-node']);

let tmp: string;
let cli: string;
let corpus: string;

/** Links every package of this checkout's node_modules (a scope's one by one) into `dest`, but the absent ones. */
async function linkPackages(src: string, dest: string, scope = ''): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const name of await readdir(src)) {
    const full = scope ? `${scope}/${name}` : name;
    if (ABSENT.has(full) || name === '.bin' || name === 'botlens') continue;
    if (name.startsWith('@') && !scope) await linkPackages(join(src, name), join(dest, name), name);
    else await symlink(join(src, name), join(dest, name));
  }
}

beforeAll(async () => {
  await ensureBuilt();
  tmp = await mkdtemp(join(tmpdir(), 'botlens-missing-packages-'));
  const modules = join(tmp, 'app', 'node_modules');
  await linkPackages(join(ROOT, 'node_modules'), modules);
  // A real copy: Node resolves a module's imports from its real path.
  const botlens = join(modules, 'botlens');
  await cp(join(ROOT, 'dist'), join(botlens, 'dist'), { recursive: true });
  await cp(join(ROOT, 'package.json'), join(botlens, 'package.json'));
  cli = join(botlens, 'dist', 'cli', 'main.js');
  corpus = join(tmp, 'corpus.jsonl');
  await writeFile(corpus, labelledJsonl(2));
}, 600_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs the app's botlens. */
function botlens(args: readonly string[]) {
  return runProcess(process.execPath, [cli, ...args], {
    cwd: tmp,
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' },
  });
}

describe('missing optional packages are named together, before any work', () => {
  it('score --redis with a model-backed member names bullmq and transformers in one install line', async () => {
    const out = join(tmp, 'scores.jsonl');
    const r = await botlens([
      'score',
      corpus,
      '--out',
      out,
      '--redis',
      'redis://127.0.0.1:1',
      '--detectors',
      'heuristic,nli',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'botlens: The optional packages "bullmq" and "@huggingface/transformers", needed for the queue commands (score --redis, worker) and model-backed detectors, are not installed: run `npm install bullmq @huggingface/transformers`.\n',
    );
  });

  it('worker, detect with a model and score --redis of the heuristic name what each needs, and only that', async () => {
    const worker = await botlens(['worker', '--redis', 'redis://127.0.0.1:1']);
    expect(worker.stderr).toMatch(
      /^botlens: The optional package "bullmq", needed for the queue commands .* `npm install bullmq`\.\n$/,
    );
    const detect = await botlens([
      'detect',
      join(ROOT, 'examples/transcript.json'),
      '--detectors',
      'heuristic,nli',
    ]);
    expect(detect.stderr).toMatch(
      /^botlens: The optional package "@huggingface\/transformers", needed for model-backed detectors, is not installed: run `npm install @huggingface\/transformers`\.\n$/,
    );
    const heuristic = await botlens([
      'score',
      corpus,
      '--out',
      join(tmp, 'h.jsonl'),
      '--redis',
      'redis://127.0.0.1:1',
    ]);
    expect(heuristic.stderr).toMatch(/"bullmq", needed for the queue commands/);
    expect(heuristic.stderr).not.toMatch(/transformers/);
    // Nothing is missing for the heuristic on its own.
    const plain = await botlens(['detect', join(ROOT, 'examples/transcript.json')]);
    expect(plain.code).toBe(0);
  });
});

describe('importAllOptional', () => {
  it('names the package a needed package cannot find, not the package that imports it', async () => {
    const pkg = join(tmp, 'needs-absent');
    await mkdir(pkg, { recursive: true });
    const entry = join(pkg, 'index.mjs');
    await writeFile(entry, "export * from 'botlens-test-absent-dep';\n");
    const absent = '@botlens-test/absent-b'; // a variable: no module to type-check
    const err = await importAllOptional([
      { feature: 'Something', loads: [['needs-absent', () => import(pathToFileURL(entry).href)]] },
      {
        feature: 'Another thing',
        loads: [[absent, () => import(absent)]],
      },
    ]).catch((e: unknown) => e);
    expect(MissingDependencyError.isInstance(err)).toBe(true);
    expect((err as MissingDependencyError).packageNames).toEqual([
      'botlens-test-absent-dep',
      '@botlens-test/absent-b',
    ]);
    expect((err as Error).message).toBe(
      'The optional packages "botlens-test-absent-dep" and "@botlens-test/absent-b", needed for something and another thing, are not installed: run `npm install botlens-test-absent-dep @botlens-test/absent-b`.',
    );
  });
});
