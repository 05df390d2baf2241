import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import {
  type DetectorSpec,
  detectorSpecSchema,
  type EnsembleSpec,
  type ensembleSpecSchema,
} from '../../src/detectors/detector-spec.js';
import { ensemblePresetSpec } from '../../src/detectors/ensemble-presets.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import {
  loadServiceConfig,
  parseServiceConfig,
  type ServiceConfig,
  type serviceConfigSchema,
} from '../../src/server/config.js';
import { detectorFromConfig, startService } from '../../src/server/serve.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'botlens-config-'));

function keyOf(raw: unknown): string {
  try {
    parseServiceConfig(raw);
  } catch (err) {
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    return (err as InvalidOptionsError).option;
  }
  throw new Error('expected the config to be rejected');
}

describe('service config', () => {
  it('points at the bad key', () => {
    expect(
      keyOf({
        ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }, { type: 'magic' }] },
      }),
    ).toBe('ensemble.detectors[1].type');
    expect(keyOf({ ensemble: { strategy: 'vote', detectors: [{ type: 'heuristic' }] } })).toBe(
      'ensemble.strategy',
    );
    expect(keyOf({ server: { port: 'eighty' } })).toBe('server.port');
    expect(keyOf({ server: { prot: 80 } })).toBe('server.prot');
    expect(keyOf({ ensemble: { strategy: 'stacking', detectors: [] } })).toBe('ensemble.detectors');
    expect(
      keyOf({ ensemble: { strategy: 'stacking', detectors: [{ type: 'heuristic' }] }, fitted: 'x.json' }),
    ).toBe('fitted');
  });

  it('resolves relative paths against the config file and reports unreadable files', async () => {
    const p = join(dir, 'botlens.config.json');
    writeFileSync(p, JSON.stringify({ fitted: 'fitted.json' }));
    expect((await loadServiceConfig(p)).fitted).toBe(join(dir, 'fitted.json'));
    // Saved with a byte-order mark (Windows editors write one): read like any other.
    writeFileSync(p, `\uFEFF${JSON.stringify({ fitted: 'fitted.json' })}`);
    expect((await loadServiceConfig(p)).fitted).toBe(join(dir, 'fitted.json'));
    writeFileSync(p, '{ nope');
    await expect(loadServiceConfig(p)).rejects.toThrow(/not valid JSON/);
    await expect(loadServiceConfig(join(dir, 'missing.json'))).rejects.toThrow(/Cannot read config file/);
  });

  it('reads a leading ~ in its paths as the home folder, as the CLI does', () => {
    // Before: "~/m" became "<config folder>/~/m".
    const c = parseServiceConfig({ fitted: '~/fitted.json', modelDir: '~/models' }, '/etc/botlens');
    expect(c.fitted).toBe(join(homedir(), 'fitted.json'));
    expect(c.modelDir).toBe(join(homedir(), 'models'));
    expect(parseServiceConfig({ fitted: 'f.json', modelDir: '~' }, '/etc/botlens').modelDir).toBe(homedir());
    // Only "~" or "~/": a folder whose name starts with ~ stays relative to the config file.
    expect(parseServiceConfig({ fitted: 'f.json', modelDir: '~m' }, '/etc/botlens').modelDir).toBe(
      '/etc/botlens/~m',
    );
    const e = parseServiceConfig(
      { ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'embedding', modelDir: '~/emb' }] } },
      '/etc/botlens',
    );
    expect(e.ensemble?.detectors[0]?.['modelDir']).toBe(join(homedir(), 'emb'));
  });

  it('builds the heuristic detector alone from an empty config, and a fitted model from a file', async () => {
    const d = await detectorFromConfig({});
    expect(d.name).toBe('ensemble');
    const fitted = join(dir, 'fitted.json');
    writeFileSync(fitted, JSON.stringify(new HeuristicDetector({ threshold: 0.7 }).toJSON()));
    const h = await detectorFromConfig({ fitted });
    expect(h).toBeInstanceOf(HeuristicDetector);
    // A prior needs a fitted stacking ensemble: a fitted heuristic cannot honour it, so start-up fails.
    await expect(detectorFromConfig({ fitted, prior: 0.3 })).rejects.toThrow(
      /"prior": applies to a fitted stacking/,
    );
  });

  it('gives a fitted stacking ensemble the config prior, and refuses a prior without a fitted file', async () => {
    const chats = await readTranscriptsJsonl(join(ROOT, 'test/quality/fixtures/chats.jsonl'));
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking' });
    await e.fit(chats);
    const fitted = join(dir, 'stacking.json');
    writeFileSync(fitted, JSON.stringify(e.toJSON()));
    const p = join(dir, 'prior.config.json');
    writeFileSync(p, JSON.stringify({ fitted: 'stacking.json', prior: 0.2 }));
    const served = await detectorFromConfig(await loadServiceConfig(p));
    expect((served as Ensemble).toJSON().prior).toBe(0.2);
    const t = chats[0]!;
    const shift = (await served.detect(t)).evidence.find((x) => x.name === 'prior_shift')?.contribution;
    const share = e.toJSON().trainingBotShare!;
    expect(shift).toBeCloseTo(Math.log(0.2 / 0.8) - Math.log(share / (1 - share)), 12);
    expect(() => parseServiceConfig({ prior: 0.2 })).toThrow(/give "fitted" with it/);
    expect(() => parseServiceConfig({ fitted: 'stacking.json', prior: 1 })).toThrow(InvalidOptionsError);
  });

  it('refuses an unfitted stacking ensemble before it listens, saying to fit it and serve the file as "fitted"', async () => {
    // Before: "listening on ..." was printed, then the warm-up failed with "call ensemble.fit first" (exit 1).
    const fitIt =
      /Cannot serve "ensemble\.strategy": .*fit it first \(botlens fit --preset transfer --data train\.jsonl --out fitted\.json, adding --group-by FIELD when the data mixes populations\) .*"fitted": "fitted\.json"/;
    const ensemble = ensemblePresetSpec('transfer');
    // parseServiceConfig only checks the shape (code may build and fit what it describes); startService refuses it
    // before any port is bound.
    expect(parseServiceConfig({ ensemble }).ensemble).toEqual(ensemble);
    let listened = false;
    await expect(
      startService(
        { ensemble },
        {
          port: 0,
          handleSignals: false,
          onListening: () => {
            listened = true;
          },
        },
      ),
    ).rejects.toSatisfy((e: unknown) => ServiceStartError.isInstance(e) && fitIt.test(e.message));
    expect(listened).toBe(false);
    const p = join(dir, 'unfitted.config.json');
    writeFileSync(p, JSON.stringify({ ensemble }));
    const served = await runCli(['serve', '--config', p, '--port', '0'], { timeoutMs: 60_000 });
    expect(served.code).not.toBe(0);
    expect(served.stderr).toMatch(fitIt);
    expect(served.stderr).not.toContain('listening');
  }, 60_000);

  it('starts the service with no config and serves a detection', async () => {
    const { server, url } = await startService({}, { port: 0, handleSignals: false });
    try {
      await server.ready;
      const r = await fetch(`${url}/v1/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ speaker: 'a', text: 'Hello ! How are you ?' }] }),
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { members: { detector: string }[] };
      expect(body.members[0]!.detector).toBe('heuristic');
    } finally {
      await server.app.close();
    }
  });
});

describe('config types', () => {
  it('the documented interfaces are exactly what the schemas parse to', () => {
    expectTypeOf<z.infer<typeof serviceConfigSchema>>().toEqualTypeOf<ServiceConfig>();
    expectTypeOf<z.infer<typeof ensembleSpecSchema>>().toEqualTypeOf<EnsembleSpec>();
    expectTypeOf<z.infer<typeof detectorSpecSchema>>().toEqualTypeOf<DetectorSpec>();
    // and at run time: every key the interface documents is a key the schema accepts
    const full: DetectorSpec = {
      type: 'embedding',
      name: 'e',
      model: 'm',
      modelDir: '/tmp',
      dtype: 'q8',
      revision: 'main',
      offline: true,
      embedder: 'hashing',
      threshold: 0.4,
    };
    expect(detectorSpecSchema.parse(full)).toEqual(full);
  });
});
