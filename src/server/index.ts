/**
 * `botlens/server`: the botlens HTTP service as a library, for embedding it in your own process.
 * `botlens serve` uses the same functions. Its errors (`QueueFullError`, `DeadlineExceededError`, `ServiceStartError`) are exported
 * from `botlens` with the others.
 *
 * @example
 * ```ts
 * import { startService } from 'botlens/server';
 * const { url } = await startService({}, { port: 8080 }); // the heuristic detector alone
 * ```
 *
 * @module botlens/server
 */
export {
  type BotlensServer,
  createServer,
  type DegradedMember,
} from './app.js';
export {
  loadServiceConfig,
  parseServiceConfig,
  type ServerSettings,
  type ServiceConfig,
} from './config.js';
export type { ServiceErrorBody, ServiceErrorCode } from './error-table.js';
export type { ServerMetrics } from './metrics.js';
export type { ServerOptions } from './options.js';
export {
  detectorFromConfig,
  type RunningService,
  type StartServiceOptions,
  startService,
} from './serve.js';
