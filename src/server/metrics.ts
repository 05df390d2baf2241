import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { importOptional } from '../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../core/optional-needs.js';

/** The Prometheus metrics the service exports at `/metrics`. */
export interface ServerMetrics {
  /** The registry to render. */
  registry: Registry;
  /** Requests by route and status code. */
  requests: Counter<'route' | 'status'>;
  /** Request latency by route. */
  latency: Histogram<'route'>;
  /** Time spent per detector. */
  detectorTime: Histogram<'detector'>;
  /**
   * Detector failures (reported inside results) and request errors, by `kind`: `detector`, `overload` (429),
   * `timeout` (503), `internal` (500), `disconnected` (a large body left unparsed because its client had gone).
   * `detector` is the failed member's name for `detector`, the served detector's name for request errors, and
   * empty for `disconnected` (no detector ran).
   */
  errors: Counter<'detector' | 'kind'>;
  /**
   * Detection requests by state: `running`, `queued` (waiting for a slot), `receiving` (admitted, body still
   * arriving or being parsed) and `open` (admitted and not yet answered, receiving the body included). Sampled
   * when `/metrics` is read. The server is still working on `running + queued + receiving` requests.
   */
  inFlight: Gauge<'state'>;
}

/** Counts sampled into the `botlens_requests_in_flight` gauge when `/metrics` is read. */
export interface InFlightCounts {
  /** Detections running now. */
  running: number;
  /** Requests waiting for a detection slot. */
  queued: number;
  /** Requests admitted and not yet answered (running, queued, or still sending their body). */
  open: number;
  /** Admitted requests whose body is still being received or parsed. @defaultValue 0 when not sampled */
  receiving?: number;
}

/**
 * Creates a fresh metrics registry (not the global one, so several servers can live in one process). Loads
 * `prom-client` lazily: when it is not installed this rejects with `MissingDependencyError`.
 *
 * @param sample - read at each scrape to fill the in-flight gauge
 */
export async function createMetrics(sample?: () => InFlightCounts): Promise<ServerMetrics> {
  const prom = await importOptional(
    'prom-client',
    OPTIONAL_NEEDS.service.feature,
    () => import('prom-client'),
  );
  const { Counter, Gauge, Histogram, Registry } = prom;
  const registry = new Registry();
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    requests: new Counter({
      name: 'botlens_requests_total',
      help: 'HTTP requests by route and status code.',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'botlens_request_duration_seconds',
      help: 'HTTP request latency in seconds.',
      labelNames: ['route'],
      buckets,
      registers: [registry],
    }),
    detectorTime: new Histogram({
      name: 'botlens_detector_duration_seconds',
      help: 'Time spent in each detector per transcript, in seconds.',
      labelNames: ['detector'],
      buckets,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'botlens_errors_total',
      help: 'Errors: detector failures inside results, timeouts, rejections under load.',
      labelNames: ['detector', 'kind'],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'botlens_requests_in_flight',
      help: 'Detection requests running, waiting in the queue, receiving their body, and open (admitted, not yet answered).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        if (!sample) return;
        const c = sample();
        this.set({ state: 'running' }, c.running);
        this.set({ state: 'queued' }, c.queued);
        this.set({ state: 'open' }, c.open);
        this.set({ state: 'receiving' }, c.receiving ?? 0);
      },
    }),
  };
}
