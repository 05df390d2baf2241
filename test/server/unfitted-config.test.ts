/**
 * The service refuses, before it builds the detector or listens, a config `ensemble` that cannot score unfitted:
 * a `stacking` one, or one with a member whose type needs a fit (built-in or registered by the app), under any
 * strategy. Before, members that need a fit under `weighted-mean` or `cascade` failed only at the warm-up, after the
 * port was bound. A `fitted` file of such an ensemble is served.
 */
import { writeFile } from 'node:fs/promises';
import { createServer as createTcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import type { EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import { parseServiceConfig } from '../../src/server/config.js';
import { startService } from '../../src/server/serve.js';
import { registerNeedsFitDetector } from '../helpers/needs-fit-detector.js';
import { runCli } from '../helpers/run-cli.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-unfitted-config-');

/** A port free now, on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((ok) => probe.close(() => ok()));
  return port;
}

/** Whether something listens on 127.0.0.1:`port` now. */
async function isBound(port: number): Promise<boolean> {
  const probe = createTcpServer();
  return new Promise((ok) => {
    probe.once('error', () => ok(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => ok(false)));
  });
}

/**
 * Starts the service on a free port and returns what it threw, and whether the port was ever bound (checked from
 * `onListening`, which runs once it is).
 */
async function refusedStart(ensemble: EnsembleSpec): Promise<{ error: unknown; bound: boolean }> {
  const port = await freePort();
  let bound = false;
  const error = await startService(
    { ensemble },
    {
      port,
      handleSignals: false,
      onListening: () => {
        bound = true;
      },
    },
  ).then(
    async ({ server }) => {
      await server.app.close();
      return undefined;
    },
    (err: unknown) => err,
  );
  bound ||= await isBound(port);
  return { error, bound };
}

describe('the service refuses an ensemble that cannot score unfitted, before it listens', () => {
  registerNeedsFitDetector();

  it('members that need a fit, under weighted-mean and cascade, with the key and what to set', async () => {
    const cases: [EnsembleSpec, string, string][] = [
      [
        {
          strategy: 'weighted-mean',
          detectors: [{ type: 'heuristic' }, { type: 'partner-contrast', name: 'pc' }],
        },
        'Cannot serve "ensemble.detectors[1]": the ensemble cannot score until it is fitted on labelled data (detector "pc" (partner-contrast) has nothing to score with before it is fitted), which a config cannot hold: fit it first (botlens fit --strategy weighted-mean --detectors heuristic,partner-contrast --data train.jsonl --out fitted.json, or in code createEnsemble(ensemble), fit(examples) and save its toJSON()) and give the file as "fitted": "fitted.json" in place of "ensemble"; or remove "pc" from "ensemble.detectors".',
        'pc',
      ],
      [
        {
          strategy: 'cascade',
          detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing' }],
        },
        'Cannot serve "ensemble.detectors[1]": ',
        'embedding',
      ],
      [
        // A type the app registered, which declares that it needs a fit.
        { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }, { type: 'cutoff-length' }] },
        'detector "cutoff-length" has nothing to score with before it is fitted',
        'cutoff-length',
      ],
    ];
    for (const [ensemble, message, member] of cases) {
      // The config's shape is valid: code may build and fit what it describes.
      expect(parseServiceConfig({ ensemble }).ensemble).toEqual(ensemble);
      const { error, bound } = await refusedStart(ensemble);
      expect(ServiceStartError.isInstance(error), member).toBe(true);
      expect((error as Error).message, member).toContain(message);
      expect((error as Error).message, member).toContain(`or remove "${member}" from "ensemble.detectors"`);
      // Before: the port was bound, then the warm-up failed ("Required detector failed to load").
      expect(bound, member).toBe(false);
    }
    // The same type, given the cutoff it would learn, scores unfitted: it is served.
    const { server } = await startService(
      { ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'cutoff-length', cutoff: 30 }] } },
      { port: 0, handleSignals: false },
    );
    await server.ready;
    await server.app.close();
  }, 60_000);

  it('botlens serve exits 1 with the reason, without listening', async () => {
    const config = work.path('unfitted.config.json');
    const ensemble = {
      strategy: 'weighted-mean',
      detectors: [{ type: 'heuristic' }, { type: 'linear-probe' }],
    };
    await writeFile(config, JSON.stringify({ ensemble }));
    const r = await runCli(['serve', '--config', config, '--port', '0'], { timeoutMs: 60_000 });
    expect(r.stderr).toContain(
      'botlens: Cannot serve "ensemble.detectors[1]": the ensemble cannot score until it is fitted on labelled data (detector "linear-probe" has nothing to score with before it is fitted)',
    );
    expect(r.stderr).toContain('give the file as "fitted": "fitted.json" in place of "ensemble"');
    expect(r.stderr).not.toContain('listening');
    expect(r.code).toBe(1);
  }, 60_000);

  it('serves a fitted file of an ensemble whose members need a fit', async () => {
    const spec: EnsembleSpec = {
      strategy: 'cascade',
      detectors: [
        { type: 'heuristic' },
        { type: 'partner-contrast' },
        { type: 'embedding', embedder: 'hashing' },
      ],
    };
    const train = await readTranscriptsJsonl(CHATS);
    const ensemble = await createEnsemble(spec);
    await ensemble.fit(train);
    const fitted = work.path('fitted.json');
    await writeFile(fitted, JSON.stringify(ensemble.toJSON()));
    await ensemble.dispose();
    const { server, url } = await startService({ fitted }, { port: 0, handleSignals: false });
    try {
      await server.ready;
      const r = await fetch(`${url}/v1/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: train[0]!.messages, target: train[0]!.target }),
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { score: number };
      expect(typeof body.score).toBe('number');
    } finally {
      await server.app.close();
    }
  }, 60_000);
});
