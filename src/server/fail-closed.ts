import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ServiceStartError } from '../errors/service-start-error.js';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The refusal to serve a non-loopback `host` without an API key, in the words `startService` and `createServer`
 * share; `fix` says what to set in the caller's terms.
 */
export function openHostRefusal(host: string, fix: string): ServiceStartError {
  return new ServiceStartError(`Refusing to serve ${host} without an API key: ${fix}`);
}

/** What `createServer`'s refusal tells its caller to set. */
const CREATE_SERVER_FIX =
  "pass apiKey in createServer's options, or opt in to no authentication with auth: 'none' (keep the port private).";

/**
 * Checks `createServer`'s `auth` against its `apiKey`: `'bearer'` needs a key, `'none'` must come without one.
 *
 * @returns whether the server must refuse to listen on a non-loopback address (no key and no `auth: 'none'`)
 * @throws InvalidOptionsError for another value of `auth`, or one that contradicts `apiKey`
 */
export function mustFailClosed(auth: unknown, apiKey: string | undefined): boolean {
  if (auth !== undefined && auth !== 'bearer' && auth !== 'none') {
    throw new InvalidOptionsError(
      'auth',
      `must be "bearer" or "none" (or left out), got ${JSON.stringify(auth)}`,
    );
  }
  if (auth === 'bearer' && apiKey === undefined) {
    throw new InvalidOptionsError('auth', 'is "bearer" but no apiKey is given: pass apiKey');
  }
  if (auth === 'none' && apiKey !== undefined) {
    throw new InvalidOptionsError('auth', 'is "none" but an apiKey is given: remove one of them');
  }
  return apiKey === undefined && auth !== 'none';
}

/**
 * Makes a server without an API key fail closed when it listens: once bound to an address other than loopback
 * (a Unix socket counts as local), it closes before it accepts a connection (any accepted in between is
 * dropped unread), and `app.listen` rejects with the {@link ServiceStartError} `startService` gives, after
 * `app.close()`. The address is the one bound (`app.server.address()`), so a host name that resolves to a
 * public address is caught too.
 */
export function failClosedOnListen(app: FastifyInstance): void {
  let refusal: ServiceStartError | undefined;
  app.server.on('listening', () => {
    const bound = app.server.address();
    if (bound === null || typeof bound === 'string' || isLoopbackHost((bound as AddressInfo).address)) return;
    refusal = openHostRefusal(bound.address, CREATE_SERVER_FIX);
    // After Fastify's own 'listening' handler (which reads the address), before the event loop accepts anything.
    process.nextTick(() => app.server.close());
    app.log.error(refusal.message);
  });
  app.server.on('connection', (socket) => {
    if (refusal !== undefined) socket.destroy();
  });
  const listen = app.listen.bind(app) as (options?: unknown) => Promise<string>;
  const checked = async (options?: unknown): Promise<string> => {
    const url = options === undefined ? await listen() : await listen(options);
    if (refusal === undefined) return url;
    await app.close();
    throw refusal;
  };
  app.listen = ((options?: unknown, callback?: (err: Error | null, address: string) => void) => {
    if (typeof callback !== 'function') return checked(options);
    checked(options).then(
      (address) => callback(null, address),
      (err: Error) => callback(err, ''),
    );
    return undefined;
  }) as FastifyInstance['listen'];
}
