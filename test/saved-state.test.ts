import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { FewShotPromptDetector } from '../src/detectors/few-shot/few-shot-prompt-detector.js';
import { LinearProbeDetector } from '../src/detectors/linear-probe/linear-probe-detector.js';
import { detectorFromFile } from '../src/detectors/registry.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { relocateModelOptions, serializeModelOptions } from '../src/runtime/model-options.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';
import { createServer } from '../src/server/app.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, HF_TINY } from './helpers/shared.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
/** The tsx loader by absolute path, so children started in another folder find it. */
const TSX = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const tmp = mkdtempSync(join(tmpdir(), 'botlens-saved-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Labelled training data and three transcripts to score (ConvAI, from ../shared; read when the suite runs). */
let train: LabelledTranscript[] = [];
let probes: Transcript[] = [];
beforeAll(async () => {
  if (!HAS_SHARED) return;
  const rows = await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'));
  train = rows.slice(0, 30);
  probes = rows.slice(30, 33);
});

/** Runs the CLI from source in `cwd`; never rejects on a non-zero exit. */
async function botlens(args: string[], cwd = root) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', TSX, join(root, 'src/cli/main.ts'), ...args],
      { cwd, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function scores(d: Detector): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  for (const t of probes) out.push((await d.detect(t)).score);
  return out;
}

describe('saved model options', () => {
  it('record local folders as absolute paths, and a relocation moves them', () => {
    const saved = serializeModelOptions({ model: './models/tiny-bert', dtype: 'q8', cacheDir: 'cache' });
    expect(saved).toEqual({
      model: resolve('models/tiny-bert'),
      dtype: 'q8',
      cacheDir: resolve('cache'),
    });
    expect(
      relocateModelOptions({ model: '/old/place/tiny-bert', dtype: 'q8' }, { modelDir: '/srv/m' }),
    ).toEqual({
      model: join('/srv/m', 'tiny-bert'),
      dtype: 'q8',
    });
    expect(
      relocateModelOptions({ model: 'Xenova/gpt2', revision: 'abc' }, { modelDir: '/srv/m', offline: true }),
    ).toEqual({ model: 'Xenova/gpt2', revision: 'abc', modelDir: '/srv/m', offline: true });
  });
});

describeWithShared('a fitted file reloads exactly', () => {
  const data = join(tmp, 'train.jsonl');
  const fitted = join(tmp, 'f.json');
  const tinyBert = resolve(HF_TINY, 'tiny-bert');

  it('fit --model embedding=/abs/tiny-bert saves where the model came from', async () => {
    writeFileSync(data, `${train.map((t) => JSON.stringify(t)).join('\n')}\n`);
    const f = await botlens([
      'fit',
      '--data',
      data,
      '--out',
      fitted,
      '--detectors',
      'heuristic,embedding',
      '--model',
      `embedding=${tinyBert}`,
    ]);
    expect(f.stderr).toMatch(/saved/);
    expect(f.code).toBe(0);
    const state = JSON.parse(readFileSync(fitted, 'utf8')) as { members: Record<string, unknown>[] };
    expect(state.members[1]).toMatchObject({
      kind: 'embedding',
      embedderId: 'transformers:tiny-bert:fp32:mean:norm',
      embedderModel: { model: tinyBert },
    });
  }, 120_000);

  it('loads in a new process from another working directory, offline, with identical scores and no fetch', async () => {
    const here = await detectorFromFile(fitted);
    const expected = await scores(here);
    await here.dispose?.();
    expect(expected.every((s) => typeof s === 'number')).toBe(true);

    const elsewhere = join(tmp, 'elsewhere');
    mkdirSync(elsewhere);
    const script = join(elsewhere, 'load.mts');
    writeFileSync(
      script,
      `let fetches = 0;
globalThis.fetch = async (...args) => { fetches++; throw new Error('no network: ' + String(args[0])); };
const { detectorFromFile } = await import(${JSON.stringify(join(root, 'src/detectors/registry.ts'))});
const d = await detectorFromFile('../f.json', { cacheDir: './empty-cache' });
const out = [];
for (const t of ${JSON.stringify(probes)}) {
  const r = await d.detect(t);
  const failed = (r.members ?? []).filter((m) => m.error);
  if (failed.length) throw new Error(JSON.stringify(failed));
  out.push(r.score);
}
await d.dispose();
console.log(JSON.stringify({ out, fetches, cwd: process.cwd() }));
`,
    );
    const { stdout } = await run(process.execPath, ['--import', TSX, script], {
      cwd: elsewhere,
      env: { ...process.env, NODE_OPTIONS: '', BOTLENS_OFFLINE: '', HF_HUB_OFFLINE: '' },
    });
    const res = JSON.parse(stdout.trim().split('\n').pop()!) as {
      out: number[];
      fetches: number;
      cwd: string;
    };
    expect(res.cwd).toBe(elsewhere);
    expect(res.fetches).toBe(0);
    expect(res.out).toEqual(expected);
  }, 120_000);

  it('--model-dir relocates the models; --threshold applies; --detectors is refused', async () => {
    const moved = join(tmp, 'moved');
    mkdirSync(moved);
    cpSync(tinyBert, join(moved, 'tiny-bert'), { recursive: true });
    const state = JSON.parse(readFileSync(fitted, 'utf8')) as { members: Record<string, unknown>[] };
    state.members[1]!['embedderModel'] = { model: '/nowhere/at/all/tiny-bert' };
    const stale = join(tmp, 'stale.json');
    writeFileSync(stale, JSON.stringify(state));
    const transcript = join(tmp, 't.json');
    writeFileSync(transcript, JSON.stringify(probes[0]));

    // A member that cannot load fails the command loudly (exit 3, the reason on stderr) ...
    const broken = await botlens(['detect', transcript, '--model', stale], tmp);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/nowhere/);
    // ... and --json --allow-partial shows the member's error in the full result.
    const partial = await botlens(['detect', transcript, '--model', stale, '--json', '--allow-partial'], tmp);
    expect(JSON.parse(partial.stdout).members[1].error.message).toMatch(/nowhere/);
    const ok = await botlens(['detect', transcript, '--model', stale, '--model-dir', moved], tmp);
    const okRes = JSON.parse(ok.stdout) as { score: number; label: string; members: { error?: unknown }[] };
    expect(okRes.members.map((m) => m.error)).toEqual([undefined, undefined]);

    const strict = await botlens(['detect', transcript, '--model', fitted, '--threshold', '1'], tmp);
    expect(JSON.parse(strict.stdout).label).toBe('human');

    const refused = await botlens(['detect', transcript, '--model', fitted, '--detectors', 'nli'], tmp);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--detectors cannot be used with the fitted model/);
    expect(refused.stdout).toBe('');
  }, 120_000);

  it('a LinearProbeDetector (the distillation student) loads through detectorFromFile and is servable', async () => {
    const probe = new LinearProbeDetector({ model: tinyBert });
    await probe.fit(train);
    const expected = await probe.detect(probes[0]!);
    const file = join(tmp, 'probe.json');
    writeFileSync(file, JSON.stringify(probe.toJSON()));
    await probe.dispose();

    const loaded = await detectorFromFile(file);
    expect(loaded).toBeInstanceOf(LinearProbeDetector);
    const server = await createServer(loaded);
    try {
      // The row's label is not a key of a request body (the service refuses unknown keys): the transcript alone.
      const { target, messages } = probes[0]!;
      const r = await server.app.inject({ method: 'POST', url: '/v1/detect', payload: { target, messages } });
      expect(r.statusCode).toBe(200);
      expect((r.json() as { score: number }).score).toBe(expected.score);
    } finally {
      await server.app.close();
      await loaded.dispose?.();
    }
  }, 120_000);

  it('library state records where a transformer embedder takes its model from, and reloads elsewhere with the same scores', async () => {
    const tinyGpt2 = resolve(HF_TINY, 'tiny-gpt2');
    const embedding = new EmbeddingCentroidDetector({
      embedder: new TransformersEmbedder({ model: tinyBert }),
    });
    await embedding.fit(train);
    const fewShot = new FewShotPromptDetector({
      model: tinyGpt2,
      shots: 2,
      embedder: new TransformersEmbedder({ model: tinyBert }),
    });
    await fewShot.fit(train.slice(0, 6));
    const states = { embedding: embedding.toJSON(), fewShot: fewShot.toJSON() };
    // The id names the folder by its base name only; the recorded source has the absolute path.
    expect(states.embedding).toMatchObject({
      embedderId: 'transformers:tiny-bert:fp32:mean:norm',
      embedderModel: { model: tinyBert },
    });
    expect(states.fewShot).toMatchObject({ embedderModel: { model: tinyBert } });
    const expected = {
      embedding: await scores(embedding),
      fewShot: [(await fewShot.detect(probes[0]!)).score],
    };
    await embedding.dispose();
    await fewShot.dispose();
    const file = join(tmp, 'library-states.json');
    writeFileSync(file, JSON.stringify(states));

    const elsewhere = join(tmp, 'library-elsewhere');
    mkdirSync(elsewhere);
    const script = join(elsewhere, 'load.mts');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
globalThis.fetch = async (...args) => { throw new Error('no network: ' + String(args[0])); };
const { EmbeddingCentroidDetector } = await import(${JSON.stringify(join(root, 'src/detectors/embedding/embedding-centroid-detector.ts'))});
const { FewShotPromptDetector } = await import(${JSON.stringify(join(root, 'src/detectors/few-shot/few-shot-prompt-detector.ts'))});
const states = JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));
const probes = ${JSON.stringify(probes)};
const e = EmbeddingCentroidDetector.fromJSON(states.embedding);
const f = FewShotPromptDetector.fromJSON(states.fewShot);
const embedding = [];
for (const t of probes) embedding.push((await e.detect(t)).score);
const fewShot = [(await f.detect(probes[0])).score];
await e.dispose();
await f.dispose();
console.log(JSON.stringify({ embedding, fewShot }));
`,
    );
    const { stdout } = await run(process.execPath, ['--import', TSX, script], {
      cwd: elsewhere,
      env: { ...process.env, NODE_OPTIONS: '', BOTLENS_OFFLINE: '', HF_HUB_OFFLINE: '' },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual(expected);
  }, 120_000);

  it('refuses a state whose kind no registered type restores', async () => {
    const file = join(tmp, 'alien.json');
    writeFileSync(file, JSON.stringify({ kind: 'telepathy', version: 1 }));
    await expect(detectorFromFile(file)).rejects.toSatisfy(
      (e: unknown) => InvalidOptionsError.isInstance(e) && /registerDetector/.test(e.message),
    );
  });
});
