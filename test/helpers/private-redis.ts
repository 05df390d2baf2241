/**
 * A private, diskless redis-server on a loopback port, for tests that stop, restart or misconfigure Redis (the
 * shared test Redis must stay up for the other tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { probeRedis } from '../../src/corpus/queue/redis-probe.js';

/** Whether a `redis-server` binary can be started here. */
export const HAS_REDIS_SERVER = (() => {
  try {
    return spawn('redis-server', ['--version'], { stdio: 'ignore' }).pid !== undefined;
  } catch {
    return false;
  }
})();

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/**
 * Starts a private, diskless redis-server on `port` (a free loopback port when not given); resolves once it
 * answers. The caller kills `server` (SIGKILL loses all its data, as `redis-cli shutdown nosave` does).
 */
export async function startRedis(
  port?: number,
): Promise<{ url: string; port: number; server: ChildProcess }> {
  const p = port ?? (await freePort());
  const server = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${p}`;
  try {
    await probeRedis(url, 1000);
  } catch (err) {
    server.kill('SIGKILL');
    throw err;
  }
  return { url, port: p, server };
}
