/**
 * Queue tests' shared set-up: the shared test Redis (skipping, with one clear line, where there is none) and
 * `botlens worker` in real child processes, killed after each test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, it } from 'vitest';
import { ROOT } from './run-cli.js';

/** The shared test Redis (.ci/run starts one on a free loopback port and sets BOTLENS_TEST_REDIS_URL to it). */
export const TEST_REDIS: string | undefined = process.env['BOTLENS_TEST_REDIS_URL'] || undefined;

/**
 * `describe(name, body)` for tests that need the shared test Redis ({@link TEST_REDIS}): without it `body` is not
 * run at all (not even to collect its tests, so it may use the URL at once), the block shows as skipped, and one
 * line on stderr says what was skipped and how to run it. {@link describeWithRedisAnd} adds a condition.
 */
export function describeWithRedis(name: string, body: () => void): void {
  describeWithRedisAnd({ ok: true, why: '' })(name, body);
}

/**
 * {@link describeWithRedis} with a condition of its own (`ok` false skips the block too, saying `why`), called as
 * `describe.skipIf` is: `describeWithRedisAnd({ ok, why })(name, body)`.
 */
export function describeWithRedisAnd(also: {
  ok: boolean;
  why: string;
}): (name: string, body: () => void) => void {
  return (name, body) => {
    const missing = [
      ...(TEST_REDIS ? [] : ['set BOTLENS_TEST_REDIS_URL=redis://127.0.0.1:PORT (a running redis-server)']),
      ...(also.ok ? [] : [also.why]),
    ];
    if (missing.length === 0) {
      describe(name, body);
      return;
    }
    const why = missing.join('; ');
    console.warn(`[botlens tests] skipped "${name}": ${why}`);
    // The body is not run even to collect its tests: it may use the URL at once.
    describe.skip(name, () => {
      it(`needs the test Redis: ${why}`, () => undefined);
    });
  };
}

/**
 * Registers an `afterEach` (call it at the top of a test file) that kills (SIGKILL) every child process handed
 * to the function it returns and still running, so a failed test leaves no worker behind.
 *
 * @returns the function that hands a child over (`startWorkerProcess`'s `started`)
 */
export function killChildrenAfterEach(): (child: ChildProcess) => void {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return (child) => {
    children.push(child);
  };
}

/** Kills the workers {@link startWorkerProcess} started, after each test of every file that imports this. */
const trackWorker = killChildrenAfterEach();

/**
 * Starts `botlens worker ARGS` from source in a child process (`imports` loaded first, as
 * NODE_OPTIONS="--import ..." does; `env` added to the test's); resolves once it says it is ready (within 60 s).
 * The worker is killed (SIGKILL) after the test, whatever happens.
 */
export function startWorkerProcess(
  args: readonly string[],
  options: { imports?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildProcess> {
  const pre = (options.imports ?? []).flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...pre, 'src/cli/main.ts', 'worker', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackWorker(child);
  return new Promise((ready, fail) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error(`worker did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('ready on queue')) {
        clearTimeout(timer);
        ready(child);
      }
    });
    child.on('exit', (code) => fail(new Error(`worker exited with ${code}: ${err}`)));
  });
}
