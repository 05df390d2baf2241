import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertDetection, batchCountProblem, checkedDetection } from '../core/assert-detection.js';
import type { Detection, Detector } from '../core/detector.js';
import { settleAll } from '../core/settle-all.js';
import { detectTimeline, type TimelinePoint } from '../core/timeline.js';
import type { ValidTranscript } from '../core/transcript.js';
import { messagesBeforeTruncation } from '../data/transcript-limits.js';
import { BotlensError } from '../errors/botlens-error.js';
import { answer, redactPaths, sendAnswer } from './error-table.js';
import type { Admission } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import type { DegradedMember } from './readiness.js';
import { readBatchBody, readDetectBody, type TranscriptPolicy } from './request.js';
import { ROUTE_METHODS, ROUTES } from './route-table.js';
import { DETECTION_ERRORS, errorResponses, schemaRef } from './schemas.js';
import { isPooled } from './worker-pool.js';

/** What the routes need from the server around them. */
export interface RouteContext {
  detector: Detector;
  admission: Admission;
  metrics: ServerMetrics;
  policy: TranscriptPolicy;
  maxBatch: number;
  /** `undefined` while warming up, the optional members that failed once ready, an error message when warm-up failed. */
  readiness: () => { degraded: readonly DegradedMember[] } | string | undefined;
  /** Whether the routes that need a key show it in the OpenAPI document. */
  secured: boolean;
}

interface MemberLike {
  detector: string;
  elapsedMs?: number;
  error?: unknown;
}

/**
 * Member errors can quote server paths (a model file that failed to load), and the ensemble repeats them in its
 * evidence and explanation: every string of an answer is passed through `redactPaths`. Objects without a path
 * are returned as they are (no copy).
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactPaths(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [k, v] of entries) {
    const r = redactDeep(v);
    if (r === v) continue;
    copy ??= Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
    (copy as Record<string | number, unknown>)[k] = r;
  }
  return (copy ?? value) as T;
}

/** True when a member (at any depth) failed: only failures quote paths, so only then is an answer redacted. */
function hasFailure(d: unknown): boolean {
  const members = (d as { members?: unknown } | null)?.members;
  return (
    Array.isArray(members) &&
    members.some((m) => (m as { error?: unknown }).error !== undefined || hasFailure(m))
  );
}

/** The answer for a detection, redacted when it reports a failure. */
function safe<T>(d: T): T {
  return hasFailure(d) ? redactDeep(d) : d;
}

function decodedPath(url: string): string {
  const path = url.split('?', 1)[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Registers the API routes and the 404/405 answer. */
export function registerRoutes(app: FastifyInstance, c: RouteContext): void {
  const security = c.secured ? [{ bearer: [] }] : [];

  function record(d: Detection): void {
    const members = (d as Detection & { members?: MemberLike[] }).members;
    for (const m of members ?? [d as MemberLike]) {
      if (m.error !== undefined) c.metrics.errors.inc({ detector: m.detector, kind: 'detector' });
      else if (typeof m.elapsedMs === 'number')
        c.metrics.detectorTime.observe({ detector: m.detector }, m.elapsedMs / 1000);
    }
  }

  // The detector may be a user's: an answer never carries a detection that breaks the contract (a 500 instead).
  // A worker pool answers with its workers' detector's name, not its own: only the shape is checked then.
  const name = isPooled(c.detector) ? undefined : c.detector.name;

  async function detectOne(t: ValidTranscript, timeline: boolean, signal: AbortSignal) {
    if (timeline && isPooled(c.detector)) {
      const d = await c.detector.detectWithTimeline(t, { signal });
      assertDetection(d, name);
      return d;
    }
    const d = checkedDetection(await c.detector.detect(t, { signal }), name);
    if (!timeline) return d;
    return { ...d, timeline: await detectTimeline(c.detector, t, { signal, limits: c.policy.limits }) };
  }

  /** Checks a batch answer: one valid detection per transcript. */
  function checkBatch(results: unknown, count: number): asserts results is Detection[] {
    const problem = batchCountProblem(results, count);
    if (problem !== undefined)
      throw new BotlensError('BAD_DETECTION', `The detector "${name}" ${problem}: fix its detectBatch().`);
    for (const d of results as unknown[]) assertDetection(d, name);
  }

  /**
   * With `truncate`, an answer for a transcript that lost messages says so: `truncatedFrom` (the original
   * count), and timeline indexes that count from the original transcript, as the CLI and `messageOffset` do.
   */
  function withTruncation<D extends Detection & { timeline?: TimelinePoint[] }>(t: ValidTranscript, d: D): D {
    const from = messagesBeforeTruncation(t);
    if (from === undefined) return d;
    const dropped = from - t.messages.length;
    const timeline = d.timeline?.map((p) => ({ ...p, messageIndex: p.messageIndex + dropped }));
    return { ...d, truncatedFrom: from, ...(timeline && { timeline }) };
  }

  app.post(
    ROUTES.detect.path,
    {
      config: { detection: true },
      schema: {
        summary: 'Judge one transcript',
        description:
          'Set "timeline": true for the score after each of the target speaker’s messages as well.',
        body: schemaRef('DetectRequest'),
        security,
        response: { 200: schemaRef('Detection'), ...errorResponses(DETECTION_ERRORS) },
      },
    },
    async (req: FastifyRequest) => {
      const { transcript, timeline } = readDetectBody(req.body, c.policy);
      const d = await c.admission.run(req, (signal) => detectOne(transcript, timeline, signal));
      record(d);
      return safe(withTruncation(transcript, d));
    },
  );

  app.post(
    ROUTES.detectBatch.path,
    {
      config: { detection: true },
      schema: {
        summary: `Judge up to ${c.maxBatch} transcripts`,
        description:
          'All or nothing: one results entry per transcript, in order, or, when any transcript is invalid (a bad field, a lone UTF-16 surrogate), a 400 INVALID_TRANSCRIPT for the whole batch whose message names the invalid items (transcripts[i]) and whose issues paths start with them: fix or leave those out and send the batch again. No timelines here: a "timeline" field (on the body or on a transcript) is refused with 400; ask /v1/detect for one.',
        body: schemaRef('BatchRequest'),
        security,
        response: { 200: schemaRef('BatchResult'), ...errorResponses(DETECTION_ERRORS) },
      },
    },
    async (req: FastifyRequest) => {
      const ts = readBatchBody(req.body, c.policy, c.maxBatch);
      const results = await c.admission.run(req, (signal) =>
        c.detector.detectBatch
          ? c.detector.detectBatch(ts, { signal })
          : settleAll(ts.map((t) => c.detector.detect(t, { signal }))),
      );
      checkBatch(results, ts.length);
      for (const d of results) record(d);
      return { results: results.map((d, i) => safe(withTruncation(ts[i]!, d))) };
    },
  );

  app.get(
    ROUTES.healthz.path,
    { schema: { summary: 'The process is up (open: no key needed)' } },
    async () => ({
      status: 'ok',
    }),
  );
  app.get(
    ROUTES.readyz.path,
    { schema: { summary: 'Every required model is loaded and warm (open: no key needed)' } },
    async (_req, reply: FastifyReply) => {
      const r = c.readiness();
      if (typeof r === 'object') {
        if (r.degraded.length === 0) return { status: 'ready' };
        // Ready, without the optional members that failed to load: probes see 200, people see why.
        const degraded = r.degraded.map((m) => ({ detector: m.detector, error: redactPaths(m.error) }));
        return { status: 'ready', degraded };
      }
      const why = r === undefined ? 'Models are still loading and warming up.' : `Warm-up failed: ${r}`;
      return sendAnswer(reply, answer('NOT_READY', why));
    },
  );
  app.get(
    ROUTES.metrics.path,
    { schema: { summary: 'Prometheus metrics', security } },
    async (_req, reply: FastifyReply) => {
      reply.header('Content-Type', c.metrics.registry.contentType);
      return c.metrics.registry.metrics();
    },
  );
  app.get(ROUTES.openapi.path, { schema: { hide: true } }, async () => app.swagger());

  app.setNotFoundHandler(async (req, reply) => {
    const allowed = ROUTE_METHODS.get(decodedPath(req.url));
    if (allowed) {
      reply.header('Allow', allowed.join(', '));
      return sendAnswer(
        reply,
        answer('METHOD_NOT_ALLOWED', `${req.method} is not allowed here: use ${allowed[0]}.`),
      );
    }
    return sendAnswer(reply, answer('NOT_FOUND', 'No such route: see /openapi.json for the API.'));
  });
}
