import type { Detector } from '../core/detector.js';
import { createEnsemble, detectorFromFile } from '../detectors/registry.js';
import { type BotlensServer, createServer } from './app.js';
import type { ServiceConfig } from './config.js';

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
   * Stop gracefully on SIGTERM and SIGINT (finish in-flight requests, then exit).
   * @defaultValue true
   */
  handleSignals?: boolean;
  /**
   * Log requests as JSON lines.
   * @defaultValue false
   */
  logger?: boolean;
}

/** A service started by {@link startService}. */
export interface RunningService {
  /** The server: `server.app.close()` stops it after in-flight requests finish. */
  server: BotlensServer;
  /** The address it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
}

/** Builds the detector a service config describes: the fitted file, the ensemble, or the heuristic alone. */
export async function detectorFromConfig(config: ServiceConfig): Promise<Detector> {
  if (config.fitted) return detectorFromFile(config.fitted);
  return createEnsemble(config.ensemble ?? { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] });
}

/**
 * Starts the HTTP service described by a config (see `botlens serve`). With an empty config it serves the
 * heuristic detector alone, which needs no model.
 *
 * @returns the running server and the address it listens on
 * @example
 * ```ts
 * const { url, server } = await startService({}, { port: 8080 });
 * ```
 */
export async function startService(
  config: ServiceConfig,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const detector = await detectorFromConfig(config);
  const s = config.server ?? {};
  const apiKey = s.apiKeyEnv ? process.env[s.apiKeyEnv] : process.env['BOTLENS_API_KEY'];
  const server = await createServer(detector, {
    ...(s.bodyLimit !== undefined && { bodyLimit: s.bodyLimit }),
    ...(s.maxBatch !== undefined && { maxBatch: s.maxBatch }),
    ...(s.timeoutMs !== undefined && { timeoutMs: s.timeoutMs }),
    ...(s.maxConcurrent !== undefined && { maxConcurrent: s.maxConcurrent }),
    ...(s.maxQueued !== undefined && { maxQueued: s.maxQueued }),
    ...(apiKey ? { apiKey } : {}),
    logger: options.logger ?? false,
    disposeOnClose: true,
  });
  const url = await server.app.listen({
    host: options.host ?? s.host ?? '127.0.0.1',
    port: options.port ?? s.port ?? 8080,
  });
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
