import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { BotlensError } from '../../errors/botlens-error.js';
import { redactRedisUrl } from './queue-settings.js';

/** How long a producer or worker waits for each attempt to reach Redis at start, in ms. */
export const REDIS_PROBE_TIMEOUT = 3000;

/** Attempts to reach Redis at start before a producer or worker gives up. */
export const REDIS_PROBE_ATTEMPTS = 3;

/** One RESP command. */
function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** One attempt: AUTH (when the URL has credentials) and PING; resolves with the first error reply, if any. */
function attempt(url: URL, timeoutMs: number): Promise<{ refused?: string }> {
  return new Promise((resolveAttempt, rejectAttempt) => {
    const port = url.port === '' ? 6379 : Number(url.port);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket =
      url.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      rejectAttempt(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = (err?: Error, refused?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) rejectAttempt(err);
      else resolveAttempt(refused === undefined ? {} : { refused });
    };
    let replies = '';
    const expected = url.password !== '' ? 2 : 1;
    socket.on('error', (err) => done(err));
    socket.on(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
      const auth =
        url.password !== ''
          ? url.username !== ''
            ? command('AUTH', decodeURIComponent(url.username), decodeURIComponent(url.password))
            : command('AUTH', decodeURIComponent(url.password))
          : '';
      socket.write(`${auth}${command('PING')}`);
    });
    socket.on('data', (d: Buffer) => {
      replies += d.toString('utf8');
      const lines = replies.split('\r\n').filter((l) => l !== '');
      const error = lines.find((l) => l.startsWith('-'));
      // A server without a password answers AUTH with an error but serves anyway: only NOAUTH/WRONGPASS refuse.
      if (error && /^-(WRONGPASS|NOAUTH|NOPERM)/.test(error)) done(undefined, error.slice(1));
      else if (lines.length >= expected) done();
    });
  });
}

/**
 * Checks at start that Redis answers at `url`, bounded (a few attempts, each with a timeout), so a producer or
 * worker fails at once with what is wrong instead of retrying forever.
 *
 * @param url - a checked `redis://` or `rediss://` URL
 * @param timeoutMs - how long each attempt may take
 * @throws BotlensError with code `REDIS_UNREACHABLE`, naming the URL without its password, the reason and what
 *   to check
 */
export async function probeRedis(url: string, timeoutMs = REDIS_PROBE_TIMEOUT): Promise<void> {
  const u = new URL(url);
  const shown = redactRedisUrl(url);
  let last = '';
  for (let i = 0; i < REDIS_PROBE_ATTEMPTS; i++) {
    try {
      const { refused } = await attempt(u, timeoutMs);
      if (refused === undefined) return;
      throw new BotlensError(
        'REDIS_UNREACHABLE',
        `Redis at ${shown} refused the credentials (${refused}): check the user and password in the URL.`,
      );
    } catch (err) {
      if (BotlensError.isInstance(err)) throw err;
      last = err instanceof Error ? err.message : String(err);
      if (i < REDIS_PROBE_ATTEMPTS - 1) await new Promise((r) => setTimeout(r, 500 * (i + 1)));
    }
  }
  throw new BotlensError(
    'REDIS_UNREACHABLE',
    `Cannot reach Redis at ${shown} (${REDIS_PROBE_ATTEMPTS} attempts; the last: ${last}): check that Redis runs there and that the host and port in the URL are right.`,
  );
}
