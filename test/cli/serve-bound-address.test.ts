/**
 * `botlens serve` names the address it bound, not fastify's pick of one: a wildcard host says it serves every
 * interface (an operator must not read a public bind as loopback-only), IPv6 in brackets. A real child process
 * running the CLI from source, on a port the system picks.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';

/** The test's environment, offline, with no API key (the commands below serve without one). */
const env: NodeJS.ProcessEnv = { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' };
delete env['BOTLENS_API_KEY'];

/** Starts `botlens serve --port 0 ...args` and resolves with its stderr up to "ready" (then stops it). */
function serveUntilReady(args: readonly string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', ...args],
      { cwd: ROOT, env },
    );
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (stderr.includes('botlens: ready\n')) child.kill('SIGTERM');
    });
    child.on('error', fail);
    child.on('close', () => {
      clearTimeout(timer);
      ok(stderr);
    });
  });
}

/** Whether this machine can bind the IPv6 wildcard (some containers have no IPv6). */
const ipv6 = await new Promise<boolean>((ok) => {
  const s = createServer();
  s.once('error', () => ok(false));
  s.listen({ host: '::', port: 0 }, () => s.close(() => ok(true)));
});

describe('serve prints the address it bound', () => {
  it('0.0.0.0: the wildcard address and "(all interfaces)", not 127.0.0.1', async () => {
    const err = await serveUntilReady(['--host', '0.0.0.0', '--auth', 'none']);
    expect(err).toMatch(/botlens: listening on http:\/\/0\.0\.0\.0:\d+ \(all interfaces\)\n/);
    expect(err).not.toContain('127.0.0.1');
  });

  it('127.0.0.1: the loopback URL alone', async () => {
    const err = await serveUntilReady(['--host', '127.0.0.1']);
    expect(err).toMatch(/botlens: listening on http:\/\/127\.0\.0\.1:\d+\n/);
  });

  it.skipIf(!ipv6)(':: in brackets, with "(all interfaces)"', async () => {
    const err = await serveUntilReady(['--host', '::', '--auth', 'none']);
    expect(err).toMatch(/botlens: listening on http:\/\/\[::\]:\d+ \(all interfaces\)\n/);
  });
});
