/**
 * A `lora` member given a `model` with no classification head (a bare encoder) cannot score until it is fitted,
 * which only the model's files show. `botlens detect|eval|score`, `startService` and `scoreCorpus` load it to tell,
 * and refuse it before they read any data or listen, saying how to fit it. Before, it passed every start-up check
 * and failed only at detection: the CLI read the data first, the service bound its port and failed its warm-up (or,
 * with the member in `server.optionalMembers`, served without it), `scoreCorpus` failed on the first record. A
 * model with a head scores as before. Real ONNX sessions on the hf-tiny fixtures, real HTTP on loopback.
 */
import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { scoreCorpusOnQueue } from '../../src/corpus/queue/score-on-queue.js';
import { scoreCorpus, scoreCorpusWith } from '../../src/corpus/score-corpus.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import type { EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { LoraClassifierDetector } from '../../src/detectors/lora/lora-classifier-detector.js';
import { describeUnfitted, unfittedPartsOnLoad } from '../../src/detectors/needs-fit.js';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import { loadedModels } from '../../src/runtime/load-model.js';
import type { LoadProgress } from '../../src/runtime/model-options.js';
import { startService } from '../../src/server/serve.js';
import { rejectedInvalidOptions } from '../helpers/option-refusal.js';
import { printedFitCommand, runPrinted } from '../helpers/printed-fit-command.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

describeWithShared('a lora member whose model has no classification head is refused at start-up', () => {
  const work = useWorkDir('botlens-lora-head-');
  const bare = resolve(HF_TINY, 'tiny-bert');
  const headed = resolve(HF_TINY, 'tiny-bert-cls');
  /** The heuristic and a lora member on `model`. */
  const spec = (model: string): EnsembleSpec => ({
    strategy: 'weighted-mean',
    detectors: [{ type: 'heuristic' }, { type: 'lora', model }],
  });
  // The botlens cache (fitted adapters, merged models) of this process and of the CLIs it runs: the work folder.
  beforeAll(() => {
    vi.stubEnv('BOTLENS_CACHE_DIR', work.path('cache'));
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  /** A transcript file holding the first of the labelled chats. */
  const oneChat = async (name: string): Promise<string> => {
    const t = work.path(name);
    await writeFile(t, (await readFile(CHATS, 'utf8')).split('\n')[0]!);
    return t;
  };
  /** Expects a `detect` that exited 0 with a score from both members. */
  const expectBothScore = (r: { code: number | null; stderr: string; stdout: string }): void => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).members.map((m: { score: unknown }) => typeof m.score)).toEqual([
      'number',
      'number',
    ]);
  };
  const why = `detector "lora" has nothing to score with before it is fitted: its model "${bare}" has no classification head; one that has a head scores unfitted`;
  const fit = `botlens fit --detectors heuristic,lora --strategy weighted-mean --model lora=${bare} --data train.jsonl --out fitted.json`;

  it('unfittedPartsOnLoad loads the model to tell: a bare encoder needs a fit, a classifier does not', async () => {
    const refused = await unfittedPartsOnLoad(spec(bare));
    expect(refused.parts).toEqual([
      { part: 'detector', index: 1, name: 'lora', type: 'lora', reason: expect.stringContaining(bare) },
    ]);
    expect(describeUnfitted(refused.parts)).toBe(why);
    await refused.release();
    const passed = await unfittedPartsOnLoad(spec(headed));
    expect(passed.parts).toEqual([]);
    await passed.release();
    expect(loadedModels()).toEqual([]);
  }, 60_000);

  it('one refusal lists every member that cannot score: the load check runs beside the spec-only one', async () => {
    const three: EnsembleSpec = {
      strategy: 'weighted-mean',
      detectors: [{ type: 'heuristic' }, { type: 'embedding' }, { type: 'lora', model: bare }],
    };
    const { parts, release } = await unfittedPartsOnLoad(three);
    await release();
    // Before: the spec-only check found "embedding" and the lora member was never loaded, so following the advice
    // (remove "embedding") only gave a second refusal.
    expect(parts.map((p) => (p.part === 'detector' ? p.name : p.part))).toEqual(['embedding', 'lora']);
    const error = await startService(
      { ensemble: three, server: { optionalMembers: ['lora'] } },
      { port: 0, handleSignals: false },
    ).then(
      async ({ server }) => server.app.close(),
      (err: unknown) => err as Error,
    );
    expect(ServiceStartError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('or remove "embedding", "lora" from "ensemble.detectors"');
    expect((error as Error).message).toContain(
      'server.optionalMembers does not cover a member that cannot score until fitted ("lora")',
    );
    // A file that holds no transcript: the refusal comes before it is read (a missing one is said before the load).
    const unread = work.path('not-data.json');
    await writeFile(unread, 'not a transcript\n');
    const r = await runCli([
      'detect',
      unread,
      '--detectors',
      'heuristic,embedding,lora',
      '--model',
      `lora=${bare}`,
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    // A flag of the spec is at fault besides the model: --detectors is named.
    expect(r.stderr).toContain(
      `Invalid option "--detectors": --detectors heuristic,embedding,lora cannot score until it is fitted on labelled data (detectors "embedding", "lora" have nothing to score with before they are fitted: for "lora", its model "${bare}" has no classification head`,
    );
    expect(loadedModels()).toEqual([]);
  }, 60_000);

  it("the check's load is the detector's: one load of the model, with the start-up's load progress", async () => {
    const events: string[] = [];
    const onProgress = (p: LoadProgress): void => {
      events.push(`${p.status} ${p.file ?? ''}`);
    };
    const check = await unfittedPartsOnLoad(spec(headed), { onProgress });
    // Before: the check loaded silently (no onProgress: a hub download showed no bar) and released the model.
    expect(events).toContain('initiate onnx/model.onnx');
    expect(loadedModels()).toEqual([{ key: expect.stringContaining(headed), refs: 1 }]);
    const detector = new LoraClassifierDetector({ model: headed, onProgress });
    try {
      await detector.load();
      // The detector shares the check's load: the graph was read once (before: twice).
      expect(events.filter((e) => e === 'initiate onnx/model.onnx')).toHaveLength(1);
      expect(loadedModels()).toEqual([{ key: expect.stringContaining(headed), refs: 2 }]);
    } finally {
      await check.release();
      await check.release(); // safe twice
      await detector.dispose();
    }
    expect(loadedModels()).toEqual([]);
  }, 60_000);

  it('a failed load is not held for the run: detection tries again, and succeeds once the files are fixed', async () => {
    // A classifier folder whose graph is corrupt: the load fails in ONNX Runtime, after the files are read.
    const broken = work.path('broken-cls');
    await cp(headed, broken, { recursive: true });
    await writeFile(join(broken, 'onnx', 'model.onnx'), 'not an onnx graph');
    const check = await unfittedPartsOnLoad(spec(broken), {});
    // Not a missing head: left to detection, where the member fails as it did before.
    expect(check.parts).toEqual([]);
    const detector = new LoraClassifierDetector({ model: broken });
    try {
      // The files are fixed while the check still holds its load (a long scoring run, a service): the failure
      // must not stick, or every later record would fail with it.
      await cp(join(headed, 'onnx', 'model.onnx'), join(broken, 'onnx', 'model.onnx'));
      await expect(detector.load()).resolves.toBeUndefined();
    } finally {
      await check.release();
      await detector.dispose();
    }
    expect(loadedModels()).toEqual([]);
  }, 60_000);

  it('the corpus scorers do not check again what the CLI checked; a direct caller is still checked', async () => {
    // The CLI's `score` checks as it builds the detector (scoringDetectorFromFlags) and says so (unfittedChecked):
    // the scorer then neither loads the model again to check nor refuses it; here the lora member meets its missing
    // head at detection, where the CLI would never send it.
    const detector = { ensemble: spec(bare) };
    const outcomes: ScoreOutcome[] = [];
    for await (const o of scoreCorpusWith(CHATS, { detector, threads: 0 }, { unfittedChecked: true })) {
      outcomes.push(o);
      break;
    }
    const first = outcomes[0];
    expect(first !== undefined && 'record' in first && first.record.members[1]?.error).toMatch(/not fitted/i);
    expect(loadedModels()).toEqual([]);
    const e = await rejectedInvalidOptions(scoreCorpus(CHATS, { detector, threads: 0 }).next());
    expect(e.option).toBe('detector.ensemble');
  }, 60_000);

  it('detect, eval and score refuse it before reading data; the printed fit command makes it score', async () => {
    // A file that holds no transcript: a refusal that came after reading it would be about the file.
    const unread = work.path('not-data.json');
    await writeFile(unread, 'not a transcript\n');
    const ensemble = ['--detectors', 'heuristic,lora', '--model', `lora=${bare}`];
    const flags = [...ensemble, '--quiet'];
    const out = work.path('scores.jsonl');
    for (const argv of [
      ['detect', unread, ...flags],
      ['eval', '--data', unread, ...flags],
      ['score', CHATS, '--out', out, '--workers', '0', ...ensemble],
    ]) {
      const r = await runCli(argv);
      expect(r.stderr, argv[0]).toContain(
        `Invalid option "--model": --detectors heuristic,lora cannot score until it is fitted on labelled data (${why})`,
      );
      expect(r.stderr, argv[0]).toContain(fit);
      // Before: detect and eval failed on reading the file; score wrote its files, then failed per line.
      expect(r.stderr, argv[0]).not.toMatch(/Cannot read|ENOENT|not fitted:|JSON|line 1/);
      expect(r.code, argv[0]).toBe(1);
    }
    expect(existsSync(out)).toBe(false);

    const t = await oneChat('one.json');
    const refused = await runCli(['detect', t, ...flags]);
    expect(refused.code).toBe(1);
    const command = printedFitCommand(refused.stderr);
    expect(command).toBe(fit);
    const dir = work.path('fit');
    const fitted = await runPrinted(command!, dir);
    expect(fitted.stderr).not.toContain('Error');
    expect(fitted.code).toBe(0);
    expectBothScore(await runCli(['detect', t, '--model', join(dir, 'fitted.json')]));
  }, 240_000);

  it('a missing input is said before the check loads the model, in the words of a read', async () => {
    // Only loading the model shows that the bare encoder cannot score: a refusal would mean the load ran first (it
    // did before: the missing input was reported only after a model load, or after a download for a hub id).
    const missing = work.path('missing.jsonl');
    const ensemble = ['--detectors', 'heuristic,lora', '--model', `lora=${bare}`];
    const out = work.path('never.jsonl');
    for (const argv of [
      ['detect', missing, ...ensemble, '--quiet'],
      ['eval', '--data', missing, ...ensemble, '--quiet'],
      ['score', missing, '--out', out, '--workers', '0', ...ensemble],
    ]) {
      const r = await runCli(argv);
      expect(r.stderr, argv[0]).toBe(
        `botlens: Cannot read ${missing} (ENOENT): check the path and permissions.\n`,
      );
      expect(r.code, argv[0]).toBe(1);
    }
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a model with a classification head passes, and detect scores with it', async () => {
    const t = await oneChat('headed.json');
    expectBothScore(
      await runCli(['detect', t, '--detectors', 'heuristic,lora', '--model', `lora=${headed}`, '--quiet']),
    );
  }, 60_000);

  it('startService refuses it before it listens, even when server.optionalMembers lists it', async () => {
    for (const server of [{}, { optionalMembers: ['lora'] }]) {
      let bound = false;
      const error = await startService(
        { ensemble: spec(bare), server },
        {
          port: 0,
          handleSignals: false,
          onListening: () => {
            bound = true;
          },
        },
      ).then(
        async ({ server: s }) => {
          await s.app.close();
          return undefined;
        },
        (err: unknown) => err,
      );
      // Before: the port was bound, then the warm-up failed (or, with optionalMembers, it served without lora).
      expect(ServiceStartError.isInstance(error), JSON.stringify(server)).toBe(true);
      expect(bound).toBe(false);
      expect((error as Error).message).toContain(
        `Cannot serve "ensemble.detectors[1]": the ensemble cannot score until it is fitted on labelled data (${why}), which a config cannot hold: fit it first (${fit}) and give the file as "fitted": "fitted.json" in place of "ensemble"`,
      );
    }
    expect(loadedModels()).toEqual([]);
  }, 60_000);

  it('startService serves a model with a classification head over HTTP', async () => {
    const { server, url } = await startService({ ensemble: spec(headed) }, { port: 0, handleSignals: false });
    try {
      const res = await fetch(`${url}/v1/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: (await readFile(CHATS, 'utf8')).split('\n')[0]!,
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { members: { detector: string; score: unknown }[] };
      expect(body.members.map((m) => [m.detector, typeof m.score])).toEqual([
        ['heuristic', 'number'],
        ['lora', 'number'],
      ]);
      // The check gave its model back once the warm-up had loaded the service's own (which shared its load).
      expect(loadedModels()).toEqual([{ key: expect.stringContaining(headed), refs: 1 }]);
    } finally {
      await server.app.close();
    }
    expect(loadedModels()).toEqual([]);
  }, 60_000);

  it('scoreCorpus and scoreCorpusOnQueue refuse it before they read the corpus or reach Redis', async () => {
    const detector = { ensemble: spec(bare) };
    // A file that does not exist, and a Redis on port 1 where nothing listens: a later refusal would be about them.
    for (const corpus of [
      scoreCorpus(work.path('missing.jsonl'), { detector, threads: 0 }),
      scoreCorpusOnQueue(work.path('missing.jsonl'), { redis: 'redis://127.0.0.1:1', detector }),
    ]) {
      const e = await rejectedInvalidOptions(corpus.next());
      expect(e.option).toBe('detector.ensemble');
      expect(e.message).toContain(
        `(${why}): fit it first (${fit}) and pass { file: 'fitted.json' } as the detector`,
      );
    }
  }, 60_000);
});
