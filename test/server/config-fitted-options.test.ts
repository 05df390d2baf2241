/**
 * The service config's `threshold` and `modelDir` next to `fitted`: loaded as `botlens detect --model fitted.json
 * --threshold ... --model-dir ...` loads the file (one path, `detectorFromFile`), refused without `fitted`, and a
 * `modelDir` that is not a folder stops start-up.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectorFromFlags } from '../../src/cli/detector-flags.js';
import type { Detector } from '../../src/core/detector.js';
import type { LabelledTranscript } from '../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { createEnsemble, detectorFromFile } from '../../src/detectors/registry.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { loadServiceConfig, parseServiceConfig, type ServiceConfig } from '../../src/server/config.js';
import { detectorFromConfig, startService } from '../../src/server/serve.js';
import { ROOT } from '../helpers/run-cli.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'botlens-config-fitted-'));

/** Writes a config file into `dir` and loads it as the service does. */
async function config(name: string, raw: object): Promise<ServiceConfig> {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(raw));
  return loadServiceConfig(p);
}

/** POSTs one transcript to a started service and returns its answer. */
async function detectOver(url: string, t: LabelledTranscript): Promise<{ score: number; label: string }> {
  const r = await fetch(`${url}/v1/detect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: t.messages, target: t.target }),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as { score: number; label: string };
}

describe('service config: threshold and modelDir next to fitted', () => {
  it('applies "threshold" (with "prior") to the fitted file, in the library and over HTTP', async () => {
    const chats = await readTranscriptsJsonl(join(ROOT, 'test/quality/fixtures/chats.jsonl'));
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking' });
    await e.fit(chats);
    writeFileSync(join(dir, 'stacking.json'), JSON.stringify(e.toJSON()));
    mkdirSync(join(dir, 'models'));
    // The file with the prior alone (saved threshold 0.5): pick a threshold that turns one of its bots human.
    const withPrior = await detectorFromFile(join(dir, 'stacking.json'), { prior: 0.3 });
    const scores = (await withPrior.detectBatch!(chats)).map((d) => d.score!);
    const flipped = scores.map((s, i) => [s, i] as const).filter(([s]) => s >= 0.5 && s < 0.999);
    expect(flipped.length).toBeGreaterThan(0);
    const [lowest, index] = flipped.reduce((a, b) => (b[0] < a[0] ? b : a));
    const threshold = Math.min(1, lowest + 1e-6);

    const c = await config('fitted.config.json', {
      fitted: 'stacking.json',
      prior: 0.3,
      threshold,
      modelDir: 'models',
    });
    expect(c.modelDir).toBe(join(dir, 'models'));
    const served = await detectorFromConfig(c);
    expect((served as Ensemble).toJSON()).toMatchObject({ threshold, prior: 0.3 });
    const got = await served.detectBatch!(chats);
    expect(got.map((d) => d.score)).toEqual(scores);
    expect(got.map((d) => d.label)).toEqual(scores.map((s) => (s >= threshold ? 'bot' : 'human')));
    expect(got[index]!.label).toBe('human');

    // The same through the CLI's loader: the config and the flags build the same detector.
    const fromFlags = await detectorFromFlags({
      detectors: 'heuristic',
      strategy: 'stacking',
      model: [join(dir, 'stacking.json')],
      prior: '0.3',
      threshold: String(threshold),
      modelDir: join(dir, 'models'),
    });
    expect((fromFlags as Ensemble).toJSON()).toEqual((served as Ensemble).toJSON());

    const { server, url } = await startService(c, { port: 0, handleSignals: false });
    try {
      await server.ready;
      const answer = await detectOver(url, chats[index]!);
      expect(answer.score).toBe(scores[index]);
      expect(answer.label).toBe('human');
    } finally {
      await server.app.close();
    }
  });

  it('refuses "threshold" and "modelDir" without "fitted", and a threshold outside [0, 1]', () => {
    const refused = (raw: object): InvalidOptionsError => {
      try {
        parseServiceConfig(raw, dir);
      } catch (err) {
        expect(InvalidOptionsError.isInstance(err)).toBe(true);
        return err as InvalidOptionsError;
      }
      throw new Error('expected the config to be refused');
    };
    const t = refused({ threshold: 0.7 });
    expect(t.option).toBe('threshold');
    expect(t.message).toMatch(/applies to a "fitted" file; .*set "ensemble\.threshold"/);
    const m = refused({
      ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] },
      modelDir: 'm',
    });
    expect(m.option).toBe('modelDir');
    expect(m.message).toMatch(/set "modelDir" on each detector/);
    for (const bad of [1.5, -0.1, '0.5', null]) {
      expect(refused({ fitted: 'stacking.json', threshold: bad }).message).toContain(
        `"threshold": expected a number in [0, 1], got ${typeof bad === 'string' ? `"${bad}"` : String(bad)}`,
      );
    }
    expect(refused({ fitted: 'stacking.json', modelDir: '' }).option).toBe('modelDir');
    expect(refused({ fitted: 'stacking.json', modelDir: 3 }).message).toContain(
      'modelDir must be a folder path',
    );
  });

  it('a "modelDir" that is missing or not a folder stops start-up (and the CLI path refuses it the same way)', async () => {
    const fitted = join(dir, 'heuristic.json');
    writeFileSync(fitted, JSON.stringify(new HeuristicDetector().toJSON()));
    const missing = await config('missing.config.json', {
      fitted: 'heuristic.json',
      modelDir: 'no-such-folder',
    });
    await expect(detectorFromConfig(missing)).rejects.toThrow(
      new RegExp(
        `"modelDir": ${join(dir, 'no-such-folder')} is missing: give the folder that holds the models`,
      ),
    );
    await expect(startService(missing, { port: 0, handleSignals: false })).rejects.toThrow(/"modelDir"/);
    const file = await config('file.config.json', { fitted: 'heuristic.json', modelDir: 'heuristic.json' });
    await expect(detectorFromConfig(file)).rejects.toThrow(/heuristic\.json is not a folder/);
    await expect(
      detectorFromFlags({
        detectors: 'heuristic',
        strategy: 'weighted-mean',
        model: [fitted],
        modelDir: join(dir, 'no-such-folder'),
      }),
    ).rejects.toThrow(/"modelDir": .*no-such-folder is missing/);
    // A folder that exists is accepted even for a state that loads no model.
    const ok = await config('ok.config.json', { fitted: 'heuristic.json', modelDir: '.' });
    expect(await detectorFromConfig(ok)).toBeInstanceOf(HeuristicDetector);
  });
});

describeWithShared('service config: modelDir relocates the fitted file’s models', () => {
  it('finds a model saved at a path that no longer exists under "modelDir", and fails without it', async () => {
    const ens = await createEnsemble({
      strategy: 'weighted-mean',
      detectors: [{ type: 'heuristic' }, { type: 'nli', model: join(HF_TINY, 'tiny-bert-nli') }],
    });
    const chats = await readTranscriptsJsonl(join(ROOT, 'test/quality/fixtures/chats.jsonl'));
    const want = (await ens.detect(chats[0]!)).score;
    await ens.dispose?.();
    // The file as it would arrive on another machine: the model's old folder is gone, a copy sits in models/.
    const state = JSON.parse(JSON.stringify(ens.toJSON())) as { members: { model?: { model: string } }[] };
    expect(state.members[1]!.model!.model).toBe(join(HF_TINY, 'tiny-bert-nli'));
    state.members[1]!.model!.model = '/old/place/tiny-bert-nli';
    writeFileSync(join(dir, 'moved.json'), JSON.stringify(state));
    cpSync(join(HF_TINY, 'tiny-bert-nli'), join(dir, 'shipped', 'tiny-bert-nli'), { recursive: true });

    const c = await config('moved.config.json', { fitted: 'moved.json', modelDir: 'shipped' });
    let served: Detector | undefined;
    try {
      served = await detectorFromConfig(c);
      const r = (await served.detect(chats[0]!)) as EnsembleResult;
      expect(r.members.map((m) => 'error' in m)).toEqual([false, false]);
      expect(r.score).toBeCloseTo(want!, 6);
    } finally {
      await served?.dispose?.();
    }
    const without = await config('unmoved.config.json', { fitted: 'moved.json' });
    const d = await detectorFromConfig(without);
    try {
      const r = await d.detect(chats[0]!);
      // The member cannot load from the old path: the ensemble reports it failed, never scores without it silently.
      expect(JSON.stringify(r)).toMatch(/old\/place\/tiny-bert-nli/);
    } finally {
      await d.dispose?.();
    }
  }, 60_000);
});
