import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../../src/core/detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { ModelLoadError } from '../../src/errors/model-load-error.js';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import { isLoopbackHost, resolveApiKey, startService } from '../../src/server/serve.js';
import { heuristicEnsemble, sample, startServer } from './start-server.js';

const KEY = 's3cret-key';
const auth = { authorization: `Bearer ${KEY}` };

describe('the API key guards every route the router resolves, not the raw URL', () => {
  it('refuses percent-encoded and query-string variants of protected routes without the key', async () => {
    const { base, post } = await startServer(heuristicEnsemble(), { apiKey: KEY });
    // each of these answered 200 without a key before: the check compared the raw URL
    expect((await post('/v%31/detect', sample)).status).toBe(401);
    expect((await post('/%76%31/detect/batch', { transcripts: [sample] })).status).toBe(401);
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(401);
    expect((await fetch(`${base}/%6Detrics`)).status).toBe(401);
    expect((await fetch(`${base}/v1/detect/`, { method: 'POST' })).status).toBe(401);
    // the same routes with the key work, so the 401s are about the key and not about the encoding
    expect((await post('/v%31/detect', sample, auth)).status).toBe(200);
    expect((await fetch(`${base}/%6Detrics`, { headers: auth })).status).toBe(200);
    const r = await post('/v1/detect', sample, { authorization: 'Bearer s3cret-kex' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    expect(await r.json()).toMatchObject({ code: 'UNAUTHORIZED', error: 'UNAUTHORIZED' });
  });

  it('denies by default: unknown routes need the key too; only the listed probes and the API description are open', async () => {
    const { base } = await startServer(heuristicEnsemble(), { apiKey: KEY });
    expect((await fetch(`${base}/nope`)).status).toBe(401);
    expect((await fetch(`${base}/nope`, { headers: auth })).status).toBe(404);
    for (const open of ['/healthz', '/readyz', '/openapi.json', '/%68ealthz']) {
      expect((await fetch(base + open)).status, open).toBe(200);
    }
    expect((await fetch(`${base}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('auth settings fail closed', () => {
  it('refuses an apiKeyEnv that is unset or empty, and a public host without a key unless auth is "none"', () => {
    expect(() => resolveApiKey({ apiKeyEnv: 'MY_KEY' }, '127.0.0.1', {})).toThrow(/MY_KEY is not set/);
    expect(() => resolveApiKey({ apiKeyEnv: 'MY_KEY' }, '127.0.0.1', { MY_KEY: '' })).toThrow(
      /MY_KEY is empty/,
    );
    expect(() => resolveApiKey({}, '127.0.0.1', { BOTLENS_API_KEY: '' })).toThrow(ServiceStartError);
    // A key no client can send in a header (blanks around it, a newline from a file): every request would be 401.
    for (const key of ['s3cret\n', ' s3cret', 's3cret ', 's3\u0000cret'])
      expect(() => resolveApiKey({}, '127.0.0.1', { BOTLENS_API_KEY: key })).toThrow(
        /The API key in BOTLENS_API_KEY starts or ends with whitespace/,
      );
    expect(resolveApiKey({ apiKeyEnv: 'MY_KEY' }, '0.0.0.0', { MY_KEY: 'k' })).toEqual({ apiKey: 'k' });
    expect(resolveApiKey({}, '127.0.0.1', {})).toEqual({});
    expect(() => resolveApiKey({}, '0.0.0.0', {})).toThrow(/Refusing to serve 0\.0\.0\.0 without an API key/);
    expect(() => resolveApiKey({ auth: 'bearer' }, '127.0.0.1', {})).toThrow(/no API key is set/);
    expect(resolveApiKey({ auth: 'none' }, '0.0.0.0', {}).warning).toMatch(/WITHOUT an API key/);
    expect(resolveApiKey({ auth: 'none' }, '::1', {})).toEqual({});
    expect(['127.0.0.1', '127.8.0.1', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('startService refuses to start instead of serving without auth', async () => {
    delete process.env['BOTLENS_TEST_UNSET_KEY'];
    await expect(
      startService({ server: { apiKeyEnv: 'BOTLENS_TEST_UNSET_KEY' } }, { port: 0, handleSignals: false }),
    ).rejects.toThrow(/BOTLENS_TEST_UNSET_KEY is not set/);
    await expect(startService({}, { host: '0.0.0.0', port: 0, handleSignals: false })).rejects.toThrow(
      ServiceStartError,
    );
  });
});

/** A member whose model cannot load, failing as the model-backed detectors do: the error names the file. */
class BrokenModelDetector implements Detector {
  readonly name = 'nli';
  constructor(private readonly dir: string) {}
  async detect(): Promise<never> {
    throw new ModelLoadError(
      this.dir,
      `Cannot load ${join(this.dir, 'onnx/model.onnx')}: the file is missing.`,
      {
        file: join(this.dir, 'onnx/model.onnx'),
      },
    );
  }
}

describe('loud failures', () => {
  const modelDir = mkdtempSync(join(tmpdir(), 'botlens-broken-model-'));

  it('a required member that cannot load stops start-up and keeps /readyz at 503', async () => {
    const ens = new Ensemble([new HeuristicDetector(), new BrokenModelDetector(modelDir)], {
      strategy: 'weighted-mean',
    });
    const { createServer } = await import('../../src/server/app.js');
    const s = await createServer(ens);
    try {
      await s.app.listen({ host: '127.0.0.1', port: 0 });
      await expect(s.ready).rejects.toThrow(/Required detector failed to load: "nli".*optionalMembers/s);
      const r = await fetch(`http://127.0.0.1:${(s.app.server.address() as { port: number }).port}/readyz`);
      expect(r.status).toBe(503);
      const body = await r.text();
      expect(JSON.parse(body)).toMatchObject({ code: 'NOT_READY' });
      expect(body).not.toContain(modelDir);
    } finally {
      await s.app.close();
    }
  });

  it('a member marked optional is served around, and answers never carry server paths', async () => {
    const ens = new Ensemble([new HeuristicDetector(), new BrokenModelDetector(modelDir)], {
      strategy: 'weighted-mean',
    });
    const { post } = await startServer(ens, { optionalMembers: ['nli'] });
    const r = await post('/v1/detect', sample);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('<path>');
    expect(text).not.toContain(modelDir);
    expect(text).not.toMatch(/\n\s+at /);
    const batch = await (await post('/v1/detect/batch', { transcripts: [sample] })).text();
    expect(batch).not.toContain(modelDir);
  });

  it('a detector that throws gives a 500 with neither its path nor a stack trace', async () => {
    const { post } = await startServer(
      {
        name: 'boom',
        async detect(t) {
          if (t.messages.length > 3) throw new ModelLoadError(modelDir, `Cannot read ${modelDir}/x.onnx`);
          return { detector: 'boom', score: 0.5, label: 'bot', evidence: [], elapsedMs: 0 };
        },
      },
      {},
    );
    const r = await post('/v1/detect', sample);
    expect(r.status).toBe(500);
    const text = await r.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'INTERNAL' });
    expect(text).not.toContain(modelDir);
  });

  it('a busy port gives one clear line, from the library and from the CLI (no EADDRINUSE stack)', async () => {
    const blocker: Server = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startService({}, { port, handleSignals: false })).rejects.toThrow(
        new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`),
      );
      const cli = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)],
        { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BOTLENS_API_KEY: undefined } },
      );
      expect(cli.status).toBe(1);
      const lines = cli.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(/^botlens: Port \d+ on 127\.0\.0\.1 is already in use/);
      expect(cli.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 70_000);
});

describe('a real model-backed member whose model folder is empty', () => {
  const empty = mkdtempSync(join(tmpdir(), 'botlens-empty-model-'));
  const config = {
    ensemble: {
      strategy: 'weighted-mean' as const,
      detectors: [{ type: 'heuristic' as const }, { type: 'nli' as const, model: empty, offline: true }],
    },
  };

  it('stops start-up naming the member, or with the member optional serves without leaking its path', async () => {
    await expect(startService(config, { port: 0, handleSignals: false })).rejects.toThrow(
      /Required detector failed to load: "nli"/,
    );
    const { server, url } = await startService(
      { ...config, server: { optionalMembers: ['nli'] } },
      { port: 0, handleSignals: false },
    );
    try {
      const r = await fetch(`${url}/v1/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sample),
      });
      expect(r.status).toBe(200);
      const text = await r.text();
      expect(text).toContain('"nli"');
      expect(text).not.toContain(empty);
    } finally {
      await server.app.close();
    }
  }, 60_000);

  it('an optional member that fails says so at start-up (member, full error, what to do) and /readyz lists it', async () => {
    // Before: start-up printed nothing and /readyz said only {"status":"ready"}.
    const warnings: string[] = [];
    const { server, url } = await startService(
      { ...config, server: { optionalMembers: ['nli'] } },
      { port: 0, handleSignals: false, warn: (m) => warnings.push(m) },
    );
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^optional detector "nli" failed to load and is left out of every answer: /,
      );
      expect(warnings[0]).toContain(empty); // the full error, path included: stderr is the operator's
      expect(warnings[0]).toMatch(/Fix its model settings and restart, or remove it from the ensemble/);
      expect(server.degraded().map((m) => m.detector)).toEqual(['nli']);
      const r = await fetch(`${url}/readyz`);
      expect(r.status).toBe(200);
      const text = await r.text();
      expect(text).not.toContain(empty);
      const body = JSON.parse(text) as { status: string; degraded: { detector: string; error: string }[] };
      expect(body.status).toBe('ready');
      expect(body.degraded).toEqual([{ detector: 'nli', error: expect.stringContaining('<path>') }]);
    } finally {
      await server.app.close();
    }
  }, 60_000);

  it('`botlens serve` prints the failed optional member on stderr before "ready"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-degraded-cli-'));
    const file = join(dir, 'serve.config.json');
    writeFileSync(file, JSON.stringify({ ...config, server: { optionalMembers: ['nli'] } }));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file, '--port', '0'],
      { env: { ...process.env, BOTLENS_API_KEY: undefined } },
    );
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          if (stderr.includes('botlens: ready')) resolve();
        });
        child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(stderr).toMatch(/botlens: warning: optional detector "nli" failed to load and is left out/);
    expect(stderr.indexOf('warning: optional detector')).toBeLessThan(stderr.indexOf('botlens: ready'));
  }, 60_000);
});
