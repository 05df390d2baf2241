import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Detection, Detector } from '../core/detector.js';
import type { Transcript } from '../core/transcript.js';
import { validateTranscript } from '../core/validate.js';
import { validateAll } from '../core/validate-examples.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { DetectionTimeoutError as TimeoutError } from '../errors/detection-timeout-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import { BoundedQueue, QueueFullError } from './bounded-queue.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { detectionSchema, errorSchema, transcriptSchema } from './schemas.js';

/** Limits and behaviour of the HTTP service. */
export interface ServerOptions {
  /**
   * Largest request body in bytes; larger bodies get 413.
   * @defaultValue 1048576 (1 MiB)
   */
  bodyLimit?: number;
  /**
   * Most transcripts in one `/v1/detect/batch` request.
   * @defaultValue 32
   */
  maxBatch?: number;
  /**
   * Per-request time limit in milliseconds; past it the work is aborted and the answer is 503 with Retry-After.
   * @defaultValue 10000
   */
  timeoutMs?: number;
  /**
   * Detection requests processed at the same time.
   * @defaultValue 4
   */
  maxConcurrent?: number;
  /**
   * Requests allowed to wait for a slot; past that the answer is 429 with Retry-After.
   * @defaultValue 64
   */
  maxQueued?: number;
  /**
   * When set, `/v1/*` and `/metrics` require `Authorization: Bearer <apiKey>` (compared in constant time).
   * @defaultValue undefined (no authentication)
   */
  apiKey?: string;
  /**
   * A transcript run once at start so `/readyz` reports ready only when models are loaded and warm.
   * @defaultValue a short built-in two-speaker transcript
   */
  warmup?: Transcript;
  /**
   * Call the detector's `dispose()` when the server closes.
   * @defaultValue false
   */
  disposeOnClose?: boolean;
  /**
   * Fastify's logger setting.
   * @defaultValue false
   */
  logger?: boolean;
}

const DEFAULT_WARMUP: Transcript = {
  target: 'b',
  messages: [
    { speaker: 'a', text: 'hi, how are you?' },
    { speaker: 'b', text: 'I am fine , thank you . What do you do for fun ?' },
  ],
};

interface MemberLike {
  detector: string;
  elapsedMs?: number;
  error?: unknown;
}

/** A running botlens service: the Fastify app plus its metrics and readiness. */
export interface BotlensServer {
  /** The Fastify instance (call `listen`, `close`, `inject`). */
  app: FastifyInstance;
  /** The metrics registry behind `/metrics`. */
  metrics: ServerMetrics;
  /** Resolves when the warm-up detection finished and `/readyz` answers 200. */
  ready: Promise<void>;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function bearerOk(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  // Hash both sides so lengths match and timingSafeEqual compares in constant time.
  return m !== null && timingSafeEqual(digest(m[1]!), expected);
}

function dataUrlToBytes(t: Transcript): Transcript {
  const avatar = t.profile?.avatar;
  if (typeof avatar !== 'string') return t;
  const comma = avatar.indexOf(',');
  return {
    ...t,
    profile: { ...t.profile, avatar: new Uint8Array(Buffer.from(avatar.slice(comma + 1), 'base64')) },
  };
}

/**
 * Builds the botlens HTTP service around a detector (normally an `Ensemble`). Routes: `POST /v1/detect`,
 * `POST /v1/detect/batch`, `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus), `GET /openapi.json`.
 *
 * @param detector - what judges each transcript; its `detect` result is the response body
 * @param options - limits, timeouts and authentication
 *
 * @example
 * ```ts
 * import { createServer } from 'botlens/server';
 * const { app } = await createServer(new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' }));
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 * ```
 */
export async function createServer(detector: Detector, options: ServerOptions = {}): Promise<BotlensServer> {
  const { default: Fastify } = await import('fastify');
  const { default: swagger } = await import('@fastify/swagger');
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const maxBatch = options.maxBatch ?? 32;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const queue = new BoundedQueue(options.maxConcurrent ?? 4, options.maxQueued ?? 64);
  const metrics = createMetrics();
  const key = options.apiKey ? digest(options.apiKey) : undefined;
  let isReady = false;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    ajv: { customOptions: { allErrors: true } },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'botlens', version: '1', description: 'Tells bots from humans in chat transcripts.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.addSchema(transcriptSchema);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (
      key &&
      (req.url.startsWith('/v1/') || req.url === '/metrics') &&
      !bearerOk(req.headers.authorization, key)
    ) {
      return reply
        .code(401)
        .header('WWW-Authenticate', 'Bearer')
        .send({ error: 'UNAUTHORIZED', message: 'Send the API key as "Authorization: Bearer <key>".' });
    }
  });
  // Graceful shutdown: close() lets in-flight requests finish; answers sent meanwhile ask the client to drop its
  // keep-alive connection, so close() does not wait out the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('Connection', 'close');
  });
  if (options.disposeOnClose) {
    app.addHook('onClose', async () => {
      await detector.dispose?.();
    });
  }
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) {
      return reply.code(400).send({
        error: 'INVALID_TRANSCRIPT',
        message: `Invalid request body: ${err.message}`,
        issues: err.validation.map((v) => ({
          path:
            v.instancePath
              .replace(/^\//, '')
              .replace(/\/(\d+)/g, '[$1]')
              .replace(/\//g, '.') || '(body)',
          message: v.message ?? 'invalid',
        })),
      });
    }
    if (err.statusCode === 413) {
      return reply
        .code(413)
        .send({ error: 'BODY_TOO_LARGE', message: `Request body exceeds ${bodyLimit} bytes.` });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code ?? 'BAD_REQUEST', message: err.message });
    }
    return handleError(err, reply);
  });

  function handleError(err: unknown, reply: FastifyReply) {
    if (InvalidTranscriptError.isInstance(err)) {
      return reply.code(400).send({ error: err.code, message: err.message, issues: err.issues });
    }
    if (err instanceof QueueFullError) {
      metrics.errors.inc({ detector: '', kind: 'overload' });
      return reply.code(429).header('Retry-After', '1').send({ error: err.code, message: err.message });
    }
    if (err instanceof TimeoutError) {
      metrics.errors.inc({ detector: '', kind: 'timeout' });
      return reply.code(503).header('Retry-After', '5').send({ error: err.code, message: err.message });
    }
    metrics.errors.inc({ detector: '', kind: 'internal' });
    const message = BotlensError.isInstance(err) ? err.message : 'Internal error while detecting.';
    return reply.code(500).send({ error: BotlensError.isInstance(err) ? err.code : 'INTERNAL', message });
  }

  function record(d: Detection): void {
    const members = (d as Detection & { members?: MemberLike[] }).members;
    for (const m of members ?? [d as MemberLike]) {
      if (m.error !== undefined) metrics.errors.inc({ detector: m.detector, kind: 'detector' });
      else if (typeof m.elapsedMs === 'number')
        metrics.detectorTime.observe({ detector: m.detector }, m.elapsedMs / 1000);
    }
  }

  async function withLimits<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    metrics.inFlight.set({ state: 'queued' }, queue.queued + 1);
    try {
      return await queue.run(async () => {
        metrics.inFlight.set({ state: 'queued' }, queue.queued);
        metrics.inFlight.set({ state: 'running' }, queue.running);
        const ac = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            ac.abort(new TimeoutError(timeoutMs));
            reject(new TimeoutError(timeoutMs));
          }, timeoutMs);
        });
        try {
          return await Promise.race([work(ac.signal), timeout]);
        } catch (err) {
          if (AbortedError.isInstance(err) && ac.signal.aborted) throw new TimeoutError(timeoutMs);
          throw err;
        } finally {
          clearTimeout(timer);
        }
      });
    } finally {
      metrics.inFlight.set({ state: 'queued' }, queue.queued);
      metrics.inFlight.set({ state: 'running' }, queue.running);
    }
  }

  const security = key ? [{ bearer: [] }] : [];

  app.post(
    '/v1/detect',
    {
      schema: {
        summary: 'Judge one transcript',
        body: { $ref: 'Transcript#' },
        security,
        response: { 200: detectionSchema, 400: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (req, reply) => {
      try {
        const t = validateTranscript(dataUrlToBytes(req.body as Transcript));
        const d = await withLimits((signal) => detector.detect(t, { signal }));
        record(d);
        return d;
      } catch (err) {
        return handleError(err, reply);
      }
    },
  );

  app.post(
    '/v1/detect/batch',
    {
      schema: {
        summary: `Judge up to ${maxBatch} transcripts`,
        body: {
          type: 'object',
          required: ['transcripts'],
          additionalProperties: false,
          properties: {
            transcripts: { type: 'array', minItems: 1, maxItems: maxBatch, items: { $ref: 'Transcript#' } },
          },
        },
        security,
        response: {
          200: { type: 'object', properties: { results: { type: 'array', items: detectionSchema } } },
          400: errorSchema,
          429: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (req, reply) => {
      try {
        const body = req.body as { transcripts: Transcript[] };
        const ts = validateAll(body.transcripts.map(dataUrlToBytes), 'transcripts');
        const results = await withLimits((signal) =>
          detector.detectBatch
            ? detector.detectBatch(ts, { signal })
            : Promise.all(ts.map((t) => detector.detect(t, { signal }))),
        );
        for (const d of results) record(d);
        return { results };
      } catch (err) {
        return handleError(err, reply);
      }
    },
  );

  app.get('/healthz', { schema: { summary: 'The process is up' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Models are loaded and warmed' } }, async (_req, reply) =>
    isReady ? { status: 'ready' } : reply.code(503).send({ status: 'warming' }),
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', security } }, async (_req, reply) => {
    reply.header('Content-Type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const ready = detector.detect(options.warmup ?? DEFAULT_WARMUP).then(() => {
    isReady = true;
  });
  // Readiness failures surface through /readyz staying 503 and through `ready`; never as an unhandled rejection.
  ready.catch(() => {});
  await app.ready();
  return { app, metrics, ready };
}
