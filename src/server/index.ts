/**
 * `botlens/server`: the botlens HTTP service as a library, for embedding it in your own process.
 * `botlens serve` uses the same functions. The security model, limits and timeouts are in docs/security.md.
 *
 * @example
 * ```ts
 * import { startService } from 'botlens/server';
 * const { url } = await startService({}, { port: 8080 }); // the heuristic detector alone
 * ```
 *
 * @module botlens/server
 */
export { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
export { QueueFullError } from '../errors/queue-full-error.js';
export { ServiceStartError } from '../errors/service-start-error.js';
export { type BotlensServer, createServer } from './app.js';
export { OPEN_ROUTES } from './auth.js';
export { BoundedQueue } from './bounded-queue.js';
export {
  loadServiceConfig,
  parseServiceConfig,
  type ServerSettings,
  type ServiceConfig,
} from './config.js';
export { ERROR_STATUS, type ServiceErrorBody, type ServiceErrorCode } from './error-table.js';
export { createMetrics, type InFlightCounts, type ServerMetrics } from './metrics.js';
export type { ServerOptions } from './options.js';
export {
  detectorFromConfig,
  type RunningService,
  type StartServiceOptions,
  startService,
} from './serve.js';
