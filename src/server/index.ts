/**
 * `botlens/server`: the botlens HTTP service as a library, for embedding it in your own process.
 * `botlens serve` uses the same functions.
 *
 * @example
 * ```ts
 * import { startService } from 'botlens/server';
 * const { url } = await startService({}, { port: 8080 }); // the heuristic detector alone
 * ```
 *
 * @module botlens/server
 */
export { type BotlensServer, createServer, type ServerOptions } from './app.js';
export { BoundedQueue, QueueFullError } from './bounded-queue.js';
export {
  loadServiceConfig,
  parseServiceConfig,
  type ServerSettings,
  type ServiceConfig,
} from './config.js';
export { createMetrics, type ServerMetrics } from './metrics.js';
export {
  detectorFromConfig,
  type RunningService,
  type StartServiceOptions,
  startService,
} from './serve.js';
