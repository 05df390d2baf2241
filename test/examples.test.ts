/**
 * Runs every example in examples/ as a user would (`node --import tsx examples/x.ts`) against the BUILT package
 * (`botlens` resolves through package.json exports to dist/, built once here when stale) and checks it exits 0
 * with the output it promises; then runs examples/call-service.sh with curl against a real `botlens serve`.
 *
 * New examples are picked up automatically. An example that needs ../shared says so with a `// needs: shared`
 * comment (and is skipped where ../shared is absent); `// needs: none` marks one that runs anywhere. Without a
 * marker, an example that refers to ../../shared is treated as needing it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_TSCONFIG, ensureBuilt } from './helpers/built-package.js';
import { runProcess } from './helpers/run-cli.js';
import { HAS_SHARED, SHARED_SKIP_REASON } from './helpers/shared.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');

/** What each example must print (every pattern must match stdout). Examples not listed need any output. */
const EXPECTED: Record<string, RegExp[]> = {
  'detect-heuristic.ts': [
    /^target: helperbot$/m,
    /P\(bot\) = [01]\.\d{3} -> bot/,
    /strongest signals:\n {2}[+-]\d/,
    /InvalidTranscriptError as expected: target: target is missing/,
  ],
  'custom-ensemble.ts': [
    /cascade run order: heuristic -> reply-delay/,
    /ran: heuristic; skipped: reply-delay/,
    /The cascade stopped after 1 of 2 members/,
    /member flaky: failed \(Error: model server unreachable\)/,
    /member reply-delay: abstained/,
    /"reply-delay" gave P\(bot\) = 0\.\d{3}, weight 1/,
  ],
  'fit-save-load.ts': [
    /fitted heuristic \+ embedding in \d+ ms/,
    /^saved .*fitted\.json$/m,
    /identical: true$/m,
  ],
  'register-detector.ts': [
    /^saved .*fitted\.json$/m,
    /identical: true$/m,
    /InvalidOptionsError as expected: .*"steepnes"/,
  ],
  'nli-zero-shot.ts': [/P\(bot\) = [01]\.\d{3} -> (bot|human)/, /window 0: P\(entail bot\)/],
  'few-shot.ts': [/--- prompt \(\d+ tokens, \d+ examples\) ---/, /P\(bot\) = [01]\.\d{3} -> (bot|human)/],
  'perplexity.ts': [/P\(bot\) = [01]\.\d{3} -> (bot|human)/, /perplexity\s+Perplexity/],
  'clip-consistency.ts': [/P\(bot\) = [01]\.\d{3} -> (bot|human)/, /no profile: score null/],
  'offline-local-model.ts': [/-d vectors, cosine of the two texts/, /ModelLoadError as expected/],
};

/** Child processes running at once: CI has 2 cores. */
const POOL = 2;
const RUN_TIMEOUT_MS = 90_000;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BOTLENS_OFFLINE: '1',
    NO_COLOR: '1',
    // No tsconfig `paths`: `botlens` resolves to the built package, as in a user's project.
    TSX_TSCONFIG_PATH: BUILT_TSCONFIG,
  };
  delete env['BOTLENS_API_KEY'];
  return env;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = childEnv()): Promise<RunResult> {
  return runProcess(cmd, args, { env, timeoutMs: RUN_TIMEOUT_MS });
}

/** A counting semaphore, so `it.concurrent` tests run at most POOL child processes at once. */
let slots = POOL;
const waiting: (() => void)[] = [];
async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (slots > 0) slots--;
  else await new Promise<void>((r) => waiting.push(r));
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  }
}

function needsShared(source: string): boolean {
  const marker = /^\s*(?:\/\/|\*)\s*needs:\s*(shared|none)\b/m.exec(source);
  if (marker) return marker[1] === 'shared';
  return /\.\.\/\.\.\/shared\b/.test(source);
}

const files = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .sort();

describe('examples/*.ts run and print what they promise', () => {
  beforeAll(() => ensureBuilt(), 600_000);

  it('import botlens by its package name, never ../src', () => {
    for (const file of files) {
      const source = readFileSync(join(EXAMPLES, file), 'utf8');
      expect(source, file).not.toMatch(/from ['"]\.\.?\/(\.\.\/)*src\//);
      expect(source, file).toMatch(/from 'botlens(\/[a-z]+)?'/);
    }
  });

  it('finds the examples', () => {
    expect(files).toEqual(
      expect.arrayContaining(['custom-ensemble.ts', 'detect-heuristic.ts', 'fit-save-load.ts']),
    );
  });

  for (const file of files) {
    const shared = needsShared(readFileSync(join(EXAMPLES, file), 'utf8'));
    const title = `${file}${shared ? ' (needs ../shared)' : ''}`;
    it.skipIf(shared && !HAS_SHARED).concurrent(
      title,
      async () => {
        const r = await withSlot(() => run(process.execPath, ['--import', 'tsx', join('examples', file)]));
        const context = `${file} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
        expect(r.code, context).toBe(0);
        expect(r.stdout.trim().length, `${file} printed nothing`).toBeGreaterThan(0);
        for (const re of EXPECTED[file] ?? []) expect(r.stdout, context).toMatch(re);
      },
      RUN_TIMEOUT_MS + 60_000,
    );
  }
  if (!HAS_SHARED) it.skip(SHARED_SKIP_REASON, () => {});
});

const HAS_CURL = spawnSync('curl', ['--version']).status === 0;

describe.skipIf(!HAS_CURL)('examples/call-service.sh against a real `botlens serve`', () => {
  let server: ReturnType<typeof spawn> | undefined;
  let serverStderr = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let url = '';

  beforeAll(async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server = child;
    exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "listening on" line in 30 s:\n${serverStderr}`)),
        30_000,
      );
      child.stderr!.setEncoding('utf8').on('data', (s: string) => {
        serverStderr += s;
        const m = /botlens: listening on (http:\/\/\S+)/.exec(serverStderr);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`botlens serve exited (${code ?? signal}) before listening:\n${serverStderr}`));
      });
    });
  });

  afterAll(() => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  });

  it('answers every request of the script with 200 and JSON (and 400 for the bad transcript)', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await run('bash', [join(EXAMPLES, 'call-service.sh')], { ...childEnv(), BOTLENS_URL: url });
    const context = `script exited ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr}`;
    expect(r.code, context).toBe(0);
    const sections = new Map<string, string>();
    for (const part of r.stdout.split(/^== /m).slice(1)) {
      const nl = part.indexOf('\n');
      sections.set(part.slice(0, nl), part.slice(nl + 1).trim());
    }
    expect([...sections.keys()]).toEqual([
      'GET /healthz',
      'POST /v1/detect',
      'POST /v1/detect/batch',
      'POST /v1/detect with a bad transcript (expect HTTP 400)',
      'GET /metrics (botlens_requests_total)',
    ]);

    expect(JSON.parse(sections.get('GET /healthz')!)).toEqual({ status: 'ok' });

    const one = JSON.parse(sections.get('POST /v1/detect')!) as Record<string, unknown>;
    expect(one['label']).toBe('bot');
    expect(one['score']).toBeGreaterThan(0.5);
    expect(one['ran']).toEqual(['heuristic']);
    expect(Array.isArray(one['explanation'])).toBe(true);

    const batch = JSON.parse(sections.get('POST /v1/detect/batch')!) as { results: { score: number }[] };
    expect(batch.results).toHaveLength(1);
    expect(batch.results[0]!.score).toBeCloseTo(one['score'] as number, 12);

    const bad = sections.get('POST /v1/detect with a bad transcript (expect HTTP 400)')!;
    expect(bad).toMatch(/\nHTTP 400$/);
    const err = JSON.parse(bad.replace(/\nHTTP 400$/, '')) as { error: string; issues: { path: string }[] };
    expect(err.error).toBe('INVALID_TRANSCRIPT');
    expect(err.issues.map((i) => i.path)).toContain('target');

    const metrics = sections.get('GET /metrics (botlens_requests_total)')!;
    expect(metrics).toMatch(/^botlens_requests_total\{route="\/v1\/detect",status="200"\} 1$/m);
    expect(metrics).toMatch(/^botlens_requests_total\{route="\/v1\/detect",status="400"\} 1$/m);
    expect(metrics).toMatch(/^botlens_requests_total\{route="\/v1\/detect\/batch",status="200"\} 1$/m);
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    expect(server?.kill('SIGTERM')).toBe(true);
    const { code, signal } = await exited;
    expect({ code, signal }, serverStderr).toEqual({ code: 0, signal: null });
    expect(serverStderr).toMatch(/SIGTERM received/);
  });
});
