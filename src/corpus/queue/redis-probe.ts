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

/** What one attempt heard: the credentials refused, or the URL's database refused (`SELECT`), if either was. */
interface AttemptAnswer {
  refused?: string;
  badDatabase?: string;
}

/** The database index a Redis URL names (`redis://host:6379/2`: 2), or undefined when it names none. */
function databaseOf(url: URL): string | undefined {
  const db = url.pathname.replace(/^\//, '');
  return db === '' ? undefined : db;
}

/**
 * One attempt: AUTH (when the URL has credentials), SELECT (when it names a database) and PING; resolves with
 * the first refusal, if any.
 */
function attempt(url: URL, timeoutMs: number): Promise<AttemptAnswer> {
  return new Promise((resolveAttempt, rejectAttempt) => {
    const port = url.port === '' ? 6379 : Number(url.port);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const db = databaseOf(url);
    const socket =
      url.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      rejectAttempt(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = (err?: Error, answer: AttemptAnswer = {}): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) rejectAttempt(err);
      else resolveAttempt(answer);
    };
    let replies = '';
    const auth = url.password !== '' ? 1 : 0;
    const expected = auth + (db === undefined ? 0 : 1) + 1;
    socket.on('error', (err) => done(err));
    socket.on(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
      const authCommand =
        url.password !== ''
          ? url.username !== ''
            ? command('AUTH', decodeURIComponent(url.username), decodeURIComponent(url.password))
            : command('AUTH', decodeURIComponent(url.password))
          : '';
      socket.write(`${authCommand}${db === undefined ? '' : command('SELECT', db)}${command('PING')}`);
    });
    socket.on('data', (d: Buffer) => {
      replies += d.toString('utf8');
      const lines = replies.split('\r\n').filter((l) => l !== '');
      const error = lines.find((l) => l.startsWith('-'));
      // A server without a password answers AUTH with an error but serves anyway: only NOAUTH/WRONGPASS refuse.
      if (error && /^-(WRONGPASS|NOAUTH|NOPERM)/.test(error)) done(undefined, { refused: error.slice(1) });
      else if (lines.length >= expected) {
        const selected = db === undefined ? undefined : lines[auth];
        done(undefined, selected?.startsWith('-') ? { badDatabase: selected.slice(1) } : {});
      }
    });
  });
}

/**
 * Checks at start that Redis answers at `url` (and has the database it names), bounded (a few attempts, each with a timeout), so a producer or
 * worker fails at once with what is wrong instead of retrying forever.
 *
 * @param url - a checked `redis://` or `rediss://` URL
 * @param timeoutMs - how long each attempt may take
 * @throws BotlensError with code `REDIS_UNREACHABLE`, naming the URL without its password, the reason and what
 *   to check: no answer, credentials refused, or a database index (`redis://host:6379/99`) Redis does not have
 */
export async function probeRedis(url: string, timeoutMs = REDIS_PROBE_TIMEOUT): Promise<void> {
  const u = new URL(url);
  const shown = redactRedisUrl(url);
  let last = '';
  for (let i = 0; i < REDIS_PROBE_ATTEMPTS; i++) {
    try {
      const { refused, badDatabase } = await attempt(u, timeoutMs);
      if (badDatabase !== undefined) {
        throw new BotlensError(
          'REDIS_UNREACHABLE',
          `Redis at ${shown} has no database ${JSON.stringify(databaseOf(u))} (${badDatabase}): give a database index it has in the URL (0 to its "databases" setting minus 1: 0-15 by default), or none for 0.`,
        );
      }
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
