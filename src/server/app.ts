import type { FastifyError, FastifyInstance } from 'fastify';
import type { Detector } from '../core/detector.js';
import { importOptional } from '../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../core/optional-needs.js';
import { resolveValidationLimits } from '../core/validate.js';
import { installAuth } from './auth.js';
import { answerClientError } from './client-errors.js';
import { errorAnswer, sendAnswer } from './error-table.js';
import { failClosedOnListen, mustFailClosed } from './fail-closed.js';
import { refuseEncodedBodies, utf8JsonParser } from './json-body.js';
import { Admission } from './limits.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { type DegradedMember, degradedWarning, lateAnswerNote, warmUp } from './readiness.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';
import { registerRoutes } from './routes.js';
import { apiSchemas } from './schemas.js';
import { settleThenDispose } from './settle-then-dispose.js';

export type { ServerOptions } from './options.js';
export type { DegradedMember } from './readiness.js';

/** A running botlens service: the Fastify app plus its metrics and readiness. */
export interface BotlensServer {
  /**
   * The Fastify instance (call `listen`, `close`, `inject`). `close()` resolves once the open requests were
   * answered and the detections under way (the warm-up's included) settled, and with `disposeOnClose` the
   * detector was disposed, for at most `timeoutMs` + 1 s in all (past it, what is left goes on in the background).
   * An `Ensemble` whose cancelled detection rejected while a member ran on waits for that member in `dispose()`.
   */
  app: FastifyInstance;
  /** The metrics registry behind `/metrics`. */
  metrics: ServerMetrics;
  /**
   * Resolves when the warm-up detection finished with every required member working and `/readyz` answers 200;
   * rejects with `ServiceStartError` when a required member failed (then `/readyz` stays 503).
   */
  ready: Promise<void>;
  /**
   * The optional members (`optionalMembers`) that failed the warm-up or did not answer it within `timeoutMs`,
   * known once `ready` resolved (empty before, and when every member ran). The service is ready without them, logs
   * each as a warning, and `/readyz` answers 200 with them under `degraded`. None is dropped: every request still
   * runs each member (an answer lists a failing one as failed; one that holds a request past `timeoutMs` makes it
   * a 503 `TIMEOUT`). A member that timed out is taken off the list once its warm-up answers (in-process; with
   * `server.workers` the list stays as the warm-up found it).
   */
  degraded(): readonly DegradedMember[];
}

const METRIC_KIND: Record<number, string> = { 429: 'overload', 503: 'timeout', 500: 'internal' };

/**
 * Builds the botlens HTTP service around a detector (normally an `Ensemble`). Routes: `POST /v1/detect`,
 * `POST /v1/detect/batch`, `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus), `GET /openapi.json`.
 * Loads fastify, @fastify/swagger and prom-client lazily: a missing one rejects with `MissingDependencyError`.
 * See docs/security.md for what the key protects, the limits and the timeouts.
 *
 * @param detector - what judges each transcript; its `detect` result is the response body
 * @param options - limits, timeouts and authentication. Without `apiKey` (and without `auth: 'none'`) the
 *   server fails closed: `app.listen` on a non-loopback address rejects with `ServiceStartError`
 *
 * @example
 * ```ts
 * import { createServer } from 'botlens/server';
 * const { app } = await createServer(new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' }));
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 * ```
 */
export async function createServer(detector: Detector, options: ServerOptions = {}): Promise<BotlensServer> {
  const o = resolveServerOptions(options);
  const failClosed = mustFailClosed(options.auth, o.apiKey);
  const { feature } = OPTIONAL_NEEDS.service;
  const { default: Fastify } = await importOptional('fastify', feature, () => import('fastify'));
  const { default: swagger } = await importOptional(
    '@fastify/swagger',
    feature,
    () => import('@fastify/swagger'),
  );
  const admission = new Admission(o);
  const metrics = await createMetrics(() => ({
    running: admission.queue.running,
    queued: admission.queue.queued,
    open: admission.openRequests,
    receiving: admission.receivingRequests,
  }));
  // Resolved once: validating with a resolved limits object skips resolving it per request.
  const policy = { limits: resolveValidationLimits({ maxMessages: o.maxMessages }), truncate: o.truncate };
  let readiness: { degraded: readonly DegradedMember[] } | string | undefined;

  const app = Fastify({
    logger: o.logger,
    // A valid incoming X-Request-Id is kept (bounded length and characters), else one is made: the log's reqId,
    // the answer's X-Request-Id header and an error body's requestId.
    requestIdHeader: false,
    genReqId: requestId,
    bodyLimit: o.bodyLimit,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    // Node checks requestTimeout/headersTimeout on this interval (30 s by default, which would double the wait).
    http: { headersTimeout: o.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    frameworkErrors: (err, _req, reply) => sendAnswer(reply, errorAnswer(err, o.bodyLimit)),
    // Node's HTTP layer (request timeout, oversized headers, invalid HTTP) answers in the same error body.
    clientErrorHandler: answerClientError,
  });
  // Bodies are validated by validateTranscript in the handlers (one definition, no coercion); the route
  // schemas only document them.
  app.setValidatorCompiler(() => () => true);
  // Response schemas document too: answers are written with JSON.stringify, which is faster than the compiled
  // serializer for these objects (their evidence and members are open-ended, so it fell back to JSON.stringify
  // per property) and writes the same JSON.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // JSON only: without this, Fastify's built-in text/plain parser hands a string to the handlers.
  app.removeContentTypeParser('text/plain');
  // Fastify's JSON parser, skipped for a large body whose client has gone (see Admission.parseJson).
  app.removeContentTypeParser('application/json');
  const parseJson = admission.parseJson(utf8JsonParser(app.getDefaultJsonParser('error', 'error')), () =>
    metrics.errors.inc({ detector: '', kind: 'disconnected' }),
  );
  // Routing wins over the body: a request for no route (an unknown path, a wrong method) gets its 404/405
  // whatever its body, which is never read.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) =>
    req.is404 ? done(null, undefined) : parseJson(req, body as Buffer, done),
  );
  await app.register(swagger, {
    openapi: {
      info: { title: 'botlens', version: '1', description: 'Tells bots from humans in chat transcripts.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json['$id'] ?? `def-${i}`) },
  });
  for (const schema of apiSchemas(policy, o.maxBatch)) app.addSchema(schema);
  if (o.apiKey !== undefined) installAuth(app, o.apiKey);
  // Compressed bodies are refused by their header, before they are read or admitted.
  app.addHook('onRequest', refuseEncodedBodies);
  if (failClosed) failClosedOnListen(app);
  admission.install(app);

  // Graceful shutdown: close() lets in-flight requests finish; answers sent meanwhile ask the client to drop its
  // keep-alive connection, so close() does not wait out the keep-alive timeout.
  let closing = false;
  // Every admitted request's deadline falls within timeoutMs of close(): waits past this are for work that
  // ignores its signal.
  let closeBy = 0;
  /** Settles once the warm-up detection has (set below, once the routes are in place). */
  let warmedUp: Promise<void> = Promise.resolve();
  app.addHook('preClose', async () => {
    closing = true;
    closeBy = performance.now() + o.timeoutMs + 1000;
    // Node stops timing out stalled requests once closing; bound the wait for them to the request deadline.
    setTimeout(() => app.server.closeAllConnections(), o.timeoutMs + 1000).unref();
  });
  // Hooks on every request take a callback (no promise per request).
  app.addHook('onSend', (req, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    reply.header(REQUEST_ID_HEADER, req.id);
    done(null, payload);
  });
  // Runs once the server stopped listening and every connection ended (Fastify's own close step runs first).
  // Detections whose client went away, and the warm-up, run on until the detector returns: wait for them (bounded
  // like the connections), so the detector is not disposed under them (ONNX Runtime then fails mid-run) and a
  // caller that disposes it after close() finds it idle.
  app.addHook('onClose', () =>
    settleThenDispose({
      idle: Promise.all([admission.settled(), warmedUp]),
      dispose: o.disposeOnClose && detector.dispose ? () => detector.dispose!() : undefined,
      by: closeBy,
      log: app.log,
    }),
  );
  app.addHook('onResponse', (req, reply, done) => {
    const { url, config } = req.routeOptions; // a getter that builds a new object on each read
    const route = url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    const kind = config.detection === true ? METRIC_KIND[reply.statusCode] : undefined;
    // Counted against the detector the request ran on (a bare detector's name, or the ensemble's).
    if (kind) metrics.errors.inc({ detector: detector.name, kind });
    done();
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const a = errorAnswer(err, o.bodyLimit);
    if (a.body.code === 'INTERNAL') req.log.error({ err }, 'request failed');
    return sendAnswer(reply, a);
  });

  registerRoutes(app, {
    detector,
    admission,
    metrics,
    policy,
    maxBatch: o.maxBatch,
    readiness: () => readiness,
    secured: o.apiKey !== undefined,
  });

  const warmUpStarted = performance.now();
  /**
   * An optional member that missed the warm-up's bound and answered since: taken off the degraded list (or its
   * error put there), once the warm-up's own answer is in, and said in the log.
   */
  const onLate = (member: string, outcome: Promise<object>): void => {
    Promise.all([warming, outcome]).then(
      ([, answer]) => {
        if (typeof readiness !== 'object') return;
        const rest = readiness.degraded.filter((m) => m.detector !== member);
        const late = answer as { error?: { message: string } };
        if (late.error === undefined) {
          readiness = { degraded: rest };
          app.log.info({ member }, lateAnswerNote(member, performance.now() - warmUpStarted));
          return;
        }
        const m: DegradedMember = { detector: member, error: late.error.message, timedOut: false };
        readiness = { degraded: [...rest, m] };
        app.log.warn({ member, err: m.error }, degradedWarning(m));
      },
      // A failed warm-up is reported by `ready`; a cancelled member's work says nothing more.
      () => {},
    );
  };
  const warming = warmUp(detector, o.warmup, o.optionalMembers, { timeoutMs: o.timeoutMs, onLate });
  // Settles with the warm-up detection (close() waits for it like for a request's).
  warmedUp = warming.then(
    () => {},
    () => {},
  );
  const ready = warming.then(
    (degraded) => {
      for (const m of degraded) app.log.warn({ member: m.detector, err: m.error }, degradedWarning(m));
      readiness = { degraded };
    },
    (err: unknown) => {
      readiness = err instanceof Error ? err.message : String(err);
      throw err;
    },
  );
  // Readiness failures surface through /readyz staying 503 and through `ready`; never as an unhandled rejection.
  ready.catch(() => {});
  await app.ready();
  return {
    app,
    metrics,
    ready,
    degraded: () => (typeof readiness === 'object' ? readiness.degraded : []),
  };
}
