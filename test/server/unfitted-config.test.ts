/**
 * The service refuses, before it builds the detector or listens, a config `ensemble` that cannot score unfitted:
 * a `stacking` one, or one with a member whose type needs a fit (built-in or registered by the app), under any
 * strategy. Before, members that need a fit under `weighted-mean` or `cascade` failed only at the warm-up, after the
 * port was bound. A `fitted` file of such an ensemble is served.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import type { EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { ensemblePresetSpec } from '../../src/detectors/ensemble-presets.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import { parseServiceConfig, type ServiceConfig } from '../../src/server/config.js';
import { startService } from '../../src/server/serve.js';
import { registerNeedsFitDetector } from '../helpers/needs-fit-detector.js';
import { printedFitCommand, runPrinted } from '../helpers/printed-fit-command.js';
import { runCli } from '../helpers/run-cli.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-unfitted-config-');

/**
 * Starts the service on a free port and returns what it threw, and whether the port was ever bound (`onListening`
 * runs once it is, so a start that never calls it never bound the port).
 */
async function refusedStart(
  ensemble: EnsembleSpec,
  server: ServiceConfig['server'] = {},
): Promise<{ error: unknown; bound: boolean }> {
  let bound = false;
  const error = await startService(
    { ensemble, server },
    {
      port: 0,
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
  return { error, bound };
}

/** The message of the ServiceStartError that refuses `ensemble`. */
async function refusal(ensemble: EnsembleSpec, server: ServiceConfig['server'] = {}): Promise<string> {
  const { error, bound } = await refusedStart(ensemble, server);
  expect(ServiceStartError.isInstance(error), JSON.stringify(ensemble)).toBe(true);
  expect(bound).toBe(false);
  return (error as Error).message;
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
        // A member's name has no flag: the advice is the in-code path, not a command that fits something else.
        'Cannot serve "ensemble.detectors[1]": the ensemble cannot score until it is fitted on labelled data (detector "pc" (partner-contrast) has nothing to score with before it is fitted), which a config cannot hold: fit it first (in code, as botlens fit flags cannot give all its options: `const ensemble = await createEnsemble(spec); await ensemble.fit(examples)`, then write `JSON.stringify(ensemble.toJSON())` to fitted.json) and give the file as "fitted": "fitted.json" in place of "ensemble"; or remove "pc" from "ensemble.detectors".',
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

describe('what the refusal advises', () => {
  const work = useWorkDir('botlens-unfitted-advice-');

  /** Runs the fit command `message` prints and checks it fits what `spec` describes, as the library fits it. */
  async function expectPrintedCommandFits(message: string, spec: EnsembleSpec, dir: string): Promise<void> {
    const command = printedFitCommand(message);
    expect(command, message).toBeDefined();
    const fit = await runPrinted(command!, dir);
    expect(fit.stderr).not.toMatch(/error/i);
    expect(fit.code).toBe(0);
    const saved: unknown = JSON.parse(await readFile(join(dir, 'fitted.json'), 'utf8'));
    const train = await readTranscriptsJsonl(CHATS);
    const library = await createEnsemble(spec);
    await library.fit(train);
    expect(saved).toEqual(JSON.parse(JSON.stringify(library.toJSON())));
    await library.dispose();
  }

  it("the transfer preset's spec: botlens fit --preset transfer, which runs as printed and fits that spec", async () => {
    const spec = ensemblePresetSpec('transfer');
    const message = await refusal(spec);
    // Before: `botlens fit --strategy stacking --detectors heuristic,embedding,partner-contrast ...`, which fits a
    // transformers embedding (ModelLoadError offline), a heuristic without l2 10, with member features and no prior.
    expect(message).toContain(
      'fit it first (botlens fit --preset transfer --data train.jsonl --out fitted.json, adding --group-by FIELD when the data mixes populations)',
    );
    await expectPrintedCommandFits(message, spec, work.path('transfer'));
  }, 120_000);

  it('member options and ensemble fields that flags can give: the flag form, quoted for the shell', async () => {
    const models = work.path("my models'");
    await mkdir(models, { recursive: true });
    const spec: EnsembleSpec = {
      strategy: 'stacking',
      memberFeatures: false,
      threshold: 0.6,
      memberPrefixCuts: [],
      detectors: [
        { type: 'heuristic' },
        {
          type: 'embedding',
          embedder: 'hashing',
          rareBuckets: { minConversations: 5, action: 'shrink', count: 'any' },
          modelDir: models,
        },
      ],
    };
    const message = await refusal(spec);
    expect(message).toContain(
      `botlens fit --detectors heuristic,embedding --strategy stacking --member-prefix-cuts none --no-member-features --threshold 0.6 --embedder hashing --rare-buckets 5,shrink,any --model-dir '${models.replace("'", "'\\''")}' --data train.jsonl --out fitted.json`,
    );
    await expectPrintedCommandFits(message, spec, work.path('flags'));
  }, 120_000);

  it('options no flag gives (a heuristic l2, a member name): the in-code path, never a command', async () => {
    const message = await refusal({
      strategy: 'cascade',
      detectors: [
        { type: 'heuristic', l2: 10 },
        { type: 'embedding', embedder: 'hashing' },
      ],
    });
    expect(printedFitCommand(message)).toBeUndefined();
    expect(message).toContain('fit it first (in code, as botlens fit flags cannot give all its options');
  });

  it('removal is offered only when a member that scores unfitted remains and the strategy needs no fit', async () => {
    const alone = await refusal({ strategy: 'weighted-mean', detectors: [{ type: 'partner-contrast' }] });
    // Before: "or remove "partner-contrast" from "ensemble.detectors"", which leaves no detector.
    expect(alone).not.toContain('or remove');
    const stacking = await refusal({
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, { type: 'partner-contrast' }],
    });
    expect(stacking).not.toContain('or remove');
    const two = await refusal({
      strategy: 'cascade',
      detectors: [{ type: 'heuristic' }, { type: 'partner-contrast' }, { type: 'linear-probe' }],
    });
    expect(two).toContain('; or remove "partner-contrast", "linear-probe" from "ensemble.detectors".');
  });

  it('server.optionalMembers does not cover a member that cannot score unfitted, and the message says so', async () => {
    const message = await refusal(
      {
        strategy: 'weighted-mean',
        detectors: [{ type: 'heuristic' }, { type: 'partner-contrast', name: 'pc' }],
      },
      { optionalMembers: ['pc'] },
    );
    // Before: refused without a word on optionalMembers (which, before the refusal, let the service start).
    expect(message).toContain(
      'server.optionalMembers does not cover a member that cannot score until fitted ("pc"): remove it or give a fitted file.',
    );
    const unlisted = await refusal(
      {
        strategy: 'weighted-mean',
        detectors: [{ type: 'heuristic' }, { type: 'partner-contrast', name: 'pc' }],
      },
      { optionalMembers: ['heuristic'] },
    );
    expect(unlisted).not.toContain('optionalMembers');
  });

  it('member names are written as values, so quotes and line breaks in them cannot break the message', async () => {
    const name = 'emb "x"\nnext';
    const message = await refusal({
      strategy: 'weighted-mean',
      detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing', name }],
    });
    expect(message).not.toContain('\n');
    expect(message).toContain('detector "emb \\"x\\"\\nnext" (embedding) has nothing to score with');
    expect(message).toContain('or remove "emb \\"x\\"\\nnext" from "ensemble.detectors"');
  });
});
