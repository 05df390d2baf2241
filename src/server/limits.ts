import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AbortedError } from '../errors/aborted-error.js';
import { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { BoundedQueue } from './bounded-queue.js';
import { errorAnswer, sendAnswer } from './error-table.js';

/** The bounds {@link Admission} enforces; see `ServerOptions` for their meaning and defaults. */
export interface AdmissionLimits {
  timeoutMs: number;
  maxConcurrent: number;
  maxQueued: number;
  maxBytesInFlight: number;
  bodyLimit: number;
}

/** What a detection request carries from its arrival to its answer. */
interface RequestBudget {
  /** Aborts at the deadline (arrival + timeoutMs) or when the client disconnects. */
  signal: AbortSignal;
  /** Set when the handler took the request (its body was received and parsed). */
  started: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    botlensBudget: RequestBudget | null;
  }
  interface FastifyContextConfig {
    /** Marks a route whose requests go through admission, the deadline and the work queue. */
    detection?: boolean;
  }
}

/**
 * Admission control for detection routes, so overload is refused at once and never piles up:
 * - cost: the bytes of the request bodies in flight (from `Content-Length`, before the body is read) are bounded;
 *   a request that would pass the bound gets 429 with `Retry-After` without its body being parsed;
 * - count: at most `maxConcurrent` detections run and `maxQueued` wait; past that, 429;
 * - time: the deadline counts from arrival, queue wait included; at the deadline the work is aborted and the
 *   answer is 503, whether or not the detector honours its signal;
 * - disconnects: when the client goes away before its answer, the work is aborted (or leaves the queue).
 * Each detection starts on a fresh event-loop turn, so probes and other requests are served between them.
 */
export class Admission {
  /** The concurrency queue. */
  readonly queue: BoundedQueue;
  private bytes = 0;
  private open = 0;
  private readonly turnWaiters: Array<() => void> = [];
  private turnScheduled = false;

  constructor(private readonly limits: AdmissionLimits) {
    this.queue = new BoundedQueue(limits.maxConcurrent, limits.maxQueued);
  }

  /** Request-body bytes admitted and not yet answered. */
  get bytesInFlight(): number {
    return this.bytes;
  }

  /** Detection requests admitted and not yet answered (receiving, waiting or running). */
  get openRequests(): number {
    return this.open;
  }

  /** Adds the admission hook; it must run after authentication. */
  install(app: FastifyInstance): void {
    app.decorateRequest('botlensBudget', null);
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.routeOptions.config.detection !== true) return;
      const { bodyLimit, maxBytesInFlight, timeoutMs } = this.limits;
      const declared = Number(req.headers['content-length']);
      const cost = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, bodyLimit) : bodyLimit;
      if (this.bytes > 0 && this.bytes + cost > maxBytesInFlight) {
        // Refused before the body is read: close the connection rather than drain a body nobody will parse.
        reply.header('Connection', 'close');
        const full = new QueueFullError(`${this.bytes} request bytes in flight, limit ${maxBytesInFlight}`);
        return sendAnswer(reply, errorAnswer(full, bodyLimit));
      }
      this.bytes += cost;
      this.open++;
      const ac = new AbortController();
      const budget: RequestBudget = { signal: ac.signal, started: false };
      const timer = setTimeout(() => {
        const late = new DeadlineExceededError(timeoutMs);
        ac.abort(late);
        // Still receiving or parsing the body: answer now (Fastify skips the handler once a reply is sent).
        if (!budget.started && !reply.sent) {
          reply.header('Connection', 'close');
          sendAnswer(reply, errorAnswer(late, bodyLimit));
        }
      }, timeoutMs);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.bytes -= cost;
        this.open--;
      };
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) ac.abort(new AbortedError('The request (client disconnected)'));
        finish();
      });
      req.botlensBudget = budget;
    });
  }

  /**
   * Resolves on a later event-loop turn, one waiter per turn: detections start one per turn, so the I/O of other
   * requests (probes included) is served between any two of them instead of after all of them.
   */
  private nextTurn(): Promise<void> {
    return new Promise((resolve) => {
      this.turnWaiters.push(resolve);
      if (!this.turnScheduled) {
        this.turnScheduled = true;
        setImmediate(this.releaseTurn);
      }
    });
  }

  private readonly releaseTurn = (): void => {
    this.turnWaiters.shift()?.();
    if (this.turnWaiters.length > 0) setImmediate(this.releaseTurn);
    else this.turnScheduled = false;
  };

  /**
   * Runs detection work for an admitted request: waits for a slot (bounded), starts on a fresh event-loop turn,
   * and settles no later than the request's deadline or disconnect, with the signal's reason.
   */
  async run<T>(req: FastifyRequest, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const budget = req.botlensBudget;
    if (budget) budget.started = true;
    const signal = budget?.signal ?? new AbortController().signal;
    const stopped = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    stopped.catch(() => {});
    try {
      return await Promise.race([
        this.queue.run(async () => {
          await this.nextTurn();
          signal.throwIfAborted();
          return work(signal);
        }, signal),
        stopped,
      ]);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw err;
    }
  }
}
