/**
 * The service's routes as data, in one place: the registrations (`routes.ts`), the 405 answers' `Allow`, the
 * routes answered without the API key (`auth.ts`) and the route names kept unredacted in messages
 * (`error-table.ts`) all read this table, so a route added here is covered by each. Imports nothing, so every
 * server module can import it.
 */

/** One route of the service. @internal */
export interface RouteSpec {
  /** The route's path, e.g. `/v1/detect`. */
  readonly path: `/${string}`;
  /** The methods it answers (`HEAD` beside each `GET`); the first is the one a 405 answer points to. */
  readonly methods: readonly ('GET' | 'HEAD' | 'POST')[];
  /** Whether it is answered without the API key (the health probes and the API description). */
  readonly open: boolean;
}

/**
 * Every route of the service, by the name the code uses for it.
 *
 * @internal
 */
export const ROUTES = Object.freeze({
  detect: { path: '/v1/detect', methods: ['POST'], open: false },
  detectBatch: { path: '/v1/detect/batch', methods: ['POST'], open: false },
  healthz: { path: '/healthz', methods: ['GET', 'HEAD'], open: true },
  readyz: { path: '/readyz', methods: ['GET', 'HEAD'], open: true },
  metrics: { path: '/metrics', methods: ['GET', 'HEAD'], open: false },
  openapi: { path: '/openapi.json', methods: ['GET', 'HEAD'], open: true },
} as const satisfies Record<string, RouteSpec>);

const ALL: readonly RouteSpec[] = Object.values(ROUTES);

/** Allowed methods by route path, for 405 answers. @internal */
export const ROUTE_METHODS: ReadonlyMap<string, readonly string[]> = new Map(
  ALL.map((r) => [r.path, r.methods]),
);

/** The route paths: named in the service's own messages (`post each transcript to /v1/detect`), never redacted. @internal */
export const ROUTE_PATHS: ReadonlySet<string> = new Set(ALL.map((r) => r.path));

/**
 * The routes answered without the API key, as `METHOD /route` (HEAD counts as GET): the health probes, which a
 * load balancer calls without credentials, and the API description, which holds no data. Every other route,
 * and any URL that matches no route, needs the key when one is set (deny by default).
 *
 * @internal
 */
export const OPEN_ROUTES: readonly string[] = Object.freeze(
  ALL.filter((r) => r.open).map((r) => `GET ${r.path}`),
);
