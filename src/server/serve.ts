import type { Detector } from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { ServiceStartError } from '../errors/service-start-error.js';
import { type BotlensServer, createServer } from './app.js';
import { refuseUnfittedEnsemble, type ServerSettings, type ServiceConfig } from './config.js';
import { detectorFromConfig } from './detector-from-config.js';
import { isLoopbackHost, openHostRefusal } from './fail-closed.js';
import { type ServerOptions, unsendableKey } from './options.js';
import { degradedWarning } from './readiness.js';
import { createWorkerPool } from './worker-pool.js';

/** Where and how {@link startService} listens. */
export interface StartServiceOptions {
  /**
   * Port to listen on (0 picks a free one).
   * @defaultValue config.server.port, else 8080
   */
  port?: number;
  /**
   * Interface to bind.
   * @defaultValue config.server.host, else 127.0.0.1
   */
  host?: string;
  /**
   * Overrides `config.server.auth` (`"none"` is the opt-in to serve a non-loopback host without a key).
   * @defaultValue config.server.auth
   */
  auth?: 'bearer' | 'none';
  /**
   * Stop gracefully on SIGTERM and SIGINT (finish in-flight requests, then exit).
   * @defaultValue true
   */
  handleSignals?: boolean;
  /**
   * Log requests as JSON lines.
   * @defaultValue false
   */
  logger?: boolean;
  /** Called once the port is bound, before the warm-up finishes (the CLI prints the address). */
  onListening?: (url: string) => void;
  /**
   * Where warnings go (serving without a key on a public address; an optional member that failed to load, with its
   * full error). @defaultValue writes to stderr
   */
  warn?: (message: string) => void;
}

/** A service started by {@link startService}. */
export interface RunningService {
  /** The server: `server.app.close()` stops it after in-flight requests finish. */
  server: BotlensServer;
  /** The address it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
}

export { detectorFromConfig } from './detector-from-config.js';

/**
 * The listen backlog when `server.listenBacklog` is not set (Node's own default is 511). Node accepts one
 * connection per event-loop turn and must read a request's whole body to see that its client has gone, so
 * after a burst the service reads every abandoned request the kernel held: with 1 MB bodies on a busy 2-core
 * host that took about 2.5 s for 128 of them, 0.4 s for 32.
 */
const DEFAULT_LISTEN_BACKLOG = 32;

/** The `server` settings handed to `createServer` as they are. */
const PASSED_SETTINGS = [
  'bodyLimit',
  'maxBatch',
  'timeoutMs',
  'maxConcurrent',
  'maxQueued',
  'maxBytesInFlight',
  'maxMessages',
  'truncate',
  'requestTimeoutMs',
  'headersTimeoutMs',
  'keepAliveTimeoutMs',
  'optionalMembers',
] as const satisfies readonly (keyof ServerSettings & keyof ServerOptions)[];

export { isLoopbackHost } from './fail-closed.js';

/**
 * Decides the API key from the settings and the environment, failing closed: a named variable that is unset or
 * empty, `"auth": "bearer"` without a key, `"auth": "none"` with a key set in `BOTLENS_API_KEY` (which it would
 * ignore), or a non-loopback host without a key and without `"auth": "none"` stops start-up.
 *
 * @returns the key (undefined: no authentication) and a warning to log, if any
 * @throws ServiceStartError saying what to set
 */
export function resolveApiKey(
  s: ServerSettings,
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): { apiKey?: string; warning?: string } {
  const variable = s.apiKeyEnv ?? 'BOTLENS_API_KEY';
  const value = env[variable];
  if (s.auth === 'none') {
    if (s.apiKeyEnv !== undefined) {
      throw new ServiceStartError(
        `server.auth is "none" but server.apiKeyEnv names ${s.apiKeyEnv}: remove one of them.`,
      );
    }
    // A key the operator exported would be ignored without a word: refused like the apiKeyEnv conflict above.
    if (value !== undefined && value.length > 0) {
      throw new ServiceStartError(
        `server.auth is "none" (or --auth none) but ${variable} is set, and the key would be ignored: unset ` +
          `${variable} to serve without a key, or drop "auth": "none" to require it.`,
      );
    }
    return isLoopbackHost(host)
      ? {}
      : {
          warning: `serving ${host} WITHOUT an API key ("auth": "none"): anyone who can reach it can use it`,
        };
  }
  if (value !== undefined && value.length > 0) {
    const unsendable = unsendableKey(value);
    if (unsendable !== undefined) throw new ServiceStartError(`The API key in ${variable} ${unsendable}.`);
    return { apiKey: value };
  }
  if (s.apiKeyEnv !== undefined || value !== undefined) {
    throw new ServiceStartError(
      `The API key variable ${variable} is ${value === undefined ? 'not set' : 'empty'}: set it to the key, or ` +
        `remove server.apiKeyEnv and set "auth": "none" to serve without a key.`,
    );
  }
  if (s.auth === 'bearer') {
    throw new ServiceStartError(`server.auth is "bearer" but no API key is set: set ${variable} to the key.`);
  }
  if (!isLoopbackHost(host)) {
    throw openHostRefusal(
      host,
      `set ${variable} (or server.apiKeyEnv), or opt in to no authentication with "auth": "none" in the server ` +
        'config (or --auth none).',
    );
  }
  return {};
}

function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return new ServiceStartError(
      `Port ${port} on ${host} is already in use: stop the other process or pick another --port.`,
      { cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new ServiceStartError(
      `Cannot listen on ${host}:${port} (${code}): pick a port above 1023 or an address of this machine.`,
      { cause: err },
    );
  }
  return err;
}

const START_SERVICE_OPTION_KEYS: OptionKeys<StartServiceOptions> = {
  port: true,
  host: true,
  auth: true,
  handleSignals: true,
  logger: true,
  onListening: true,
  warn: true,
};

/**
 * Starts the HTTP service described by a config (see `botlens serve`): checks the security settings, builds the
 * detector, listens, and waits for the warm-up. With an empty config it serves the heuristic detector alone.
 *
 * @returns the running server and the address it listens on, once every required model is loaded
 * @throws ServiceStartError before anything is built or bound when the config's `ensemble` cannot score unfitted (a
 *   `stacking` one, or one with a member whose type needs a fit, such as `embedding` or `partner-contrast`, or a
 *   `lora` member whose `model` has no classification head: fit it with `botlens fit` and give the file as
 *   `fitted`); after, when a security setting cannot be honoured, the port
 *   is taken, or a required ensemble member fails to load (the server is closed again)
 * @example
 * ```ts
 * const { url, server } = await startService({}, { port: 8080 });
 * ```
 */
export async function startService(
  config: ServiceConfig,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  refuseUnknownKeys(options, START_SERVICE_OPTION_KEYS, 'the options of startService()');
  // Before anything is built or bound: a config that parseServiceConfig did not check may still hold one.
  // The models it loads to check stay loaded until the warm-up has loaded the service's own, which share them.
  const releaseChecked = await refuseUnfittedEnsemble(config);
  try {
    return await serve(config, options, releaseChecked);
  } finally {
    await releaseChecked();
  }
}

/** Builds, binds and warms up the service whose config passed the checks; `releaseChecked` as returned by them. */
async function serve(
  config: ServiceConfig,
  options: StartServiceOptions,
  releaseChecked: () => Promise<void>,
): Promise<RunningService> {
  const s: ServerSettings = { ...config.server, ...(options.auth !== undefined && { auth: options.auth }) };
  const host = options.host ?? s.host ?? '127.0.0.1';
  const port = options.port ?? s.port ?? 8080;
  const { apiKey, warning } = resolveApiKey(s, host);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`botlens: warning: ${m}\n`));
  if (warning) warn(warning);
  // Worker threads load their own models.
  if (s.workers) await releaseChecked();
  const detector: Detector = s.workers
    ? await createWorkerPool(config, {
        threads: s.workers,
        limits: s.maxMessages !== undefined ? { maxMessages: s.maxMessages } : {},
      })
    : await detectorFromConfig(config);
  const passed = Object.fromEntries(
    PASSED_SETTINGS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]),
  ) as ServerOptions;
  const server = await createServer(detector, {
    ...passed,
    ...(apiKey !== undefined && { apiKey }),
    // resolveApiKey allowed serving without a key only on loopback or with this opt-in.
    ...(s.auth === 'none' && { auth: 'none' as const }),
    logger: options.logger ?? false,
    disposeOnClose: true,
  });
  let url: string;
  try {
    url = await server.app.listen({ host, port, backlog: s.listenBacklog ?? DEFAULT_LISTEN_BACKLOG });
  } catch (err) {
    await server.app.close();
    throw listenError(err, host, port);
  }
  options.onListening?.(url);
  try {
    await server.ready;
    for (const m of server.degraded()) warn(degradedWarning(m));
  } catch (err) {
    await server.app.close();
    throw err;
  }
  if (options.handleSignals ?? true) {
    const stop = (signal: string) => {
      process.stderr.write(`botlens: ${signal} received, finishing in-flight requests\n`);
      server.app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  }
  return { server, url };
}
