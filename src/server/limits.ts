import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AbortedError } from '../errors/aborted-error.js';
import { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { BoundedQueue, type QueueWaiter } from './bounded-queue.js';
import { errorAnswer, sendAnswer } from './error-table.js';
import type { BodyParser } from './json-body.js';

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
  /**
   * Told the abort reason right after `signal` aborts, once detection work waits on it (see
   * {@link Admission.run}): a plain call, cheaper per request than a listener on the signal.
   */
  run: { stop(reason: unknown): void } | null;
}

/** The budget of one admitted request and what ends it: one object, with handlers shared by every request. */
class Admitted implements RequestBudget {
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  started = false;
  run: { stop(reason: unknown): void } | null = null;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Set once the response closed and the request's bytes and counts were given back. */
  finished = false;

  constructor(
    readonly admission: Admission,
    readonly reply: FastifyReply,
    /** The body bytes it holds of `maxBytesInFlight`. */
    readonly cost: number,
  ) {}

  /** Aborts the request's signal with `reason` and stops the detection work waiting on it, if any. */
  abort(reason: Error): void {
    this.controller.abort(reason);
    this.run?.stop(reason);
  }
}

/** Where an admitted request's response keeps its budget, for the shared 'close' listener. */
const ADMITTED = Symbol('botlens.admitted');
type AdmittedResponse = FastifyReply['raw'] & { [ADMITTED]?: Admitted };

/**
 * The end of an admitted request's response, answered or not: a client that went away first aborts the work.
 * `this` is the response; one listener function for every request.
 */
function atClose(this: AdmittedResponse): void {
  const b = this[ADMITTED];
  if (b === undefined || b.finished) return;
  b.finished = true;
  if (!this.writableFinished && !b.signal.aborted)
    b.abort(new AbortedError('The request (client disconnected)'));
  b.admission.closed(b);
}

/** Bodies from this size on are parsed only after a look at whether their client is still there. */
const CHECK_CLIENT_BYTES = 64 * 1024;
/** Work that holds the thread at least this long is followed by a pause (see {@link Admission}). */
const PAUSE_FROM_MS = 1;
/** The longest pause after one detection. */
const MAX_PAUSE_MS = 100;

/** Resolves after the next poll phase of the event loop (two `setImmediate` hops), when pending I/O was read. */
function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** True when the client of `req` has closed its side or the connection is gone. */
export function clientGone(req: FastifyRequest): boolean {
  const socket = req.raw.socket as { destroyed?: boolean; readableEnded?: boolean } | null;
  return (
    req.botlensBudget?.signal.aborted === true ||
    socket === null ||
    socket.destroyed === true ||
    socket.readableEnded === true
  );
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
 * - disconnects: when the client goes away before its answer, the work is aborted (or leaves the queue); a large
 *   body whose client has already gone is not parsed (see {@link Admission.parseJson});
 * - the event loop: detections start on a fresh event-loop turn, so probes and other requests are served
 *   between them (short ones share a turn, up to 1 ms of it; a detection that holds the thread for 1 ms or more
 *   ends its turn); and after a detection that held the thread for `d` ms (CPU-bound work in this thread), the
 *   next one waits, for up to `d` ms, while new connections keep coming. Node accepts one connection per
 *   event-loop turn: without this, a loop busy with detections accepts a few connections a second, new clients
 *   wait in the kernel's listen queue instead of getting a quick answer (a 429, a probe), and after a burst the
 *   server works through hundreds of queued requests whose clients have long gone.
 */
export class Admission {
  /** The concurrency queue. */
  readonly queue: BoundedQueue;
  private bytes = 0;
  private open = 0;
  private receiving = 0;
  private readonly turnWaiters: Array<{ go(): void }> = [];
  private turnScheduled = false;
  /** Until this time (performance.now()) detections yield to new connections; see the class comment. */
  private resumeAt = 0;
  /** Connections accepted so far. */
  private connections = 0;

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

  /** Admitted requests whose body is still being received or parsed (not yet waiting or running). */
  get receivingRequests(): number {
    return this.receiving;
  }

  /**
   * A body parser (`parser`: the strict UTF-8 JSON one) that runs on a large body only if its client is still
   * connected after the I/O already received was read: a client that sent its body and disconnected (a load
   * generator that stopped, a client that gave up while its request sat in the listen queue) costs no decoding,
   * parse, validation or detection. Register it with `parseAs: 'buffer'`.
   */
  parseJson(parser: BodyParser<Buffer>, onSkip: () => void): BodyParser<Buffer> {
    return (req, body, done) => {
      if (body.length < CHECK_CLIENT_BYTES) return parser(req, body, done);
      afterPendingIo().then(() => {
        if (!clientGone(req)) return parser(req, body, done);
        onSkip();
        done(new AbortedError('The request (client disconnected)'));
      }, done);
    };
  }

  /** Adds the admission hook; it must run after authentication. */
  install(app: FastifyInstance): void {
    app.server.on('connection', () => {
      this.connections++;
    });
    app.decorateRequest('botlensBudget', null);
    app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (req.routeOptions.config.detection !== true) return done();
      const { bodyLimit, maxBytesInFlight, timeoutMs } = this.limits;
      const declared = Number(req.headers['content-length']);
      const cost = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, bodyLimit) : bodyLimit;
      if (this.bytes > 0 && this.bytes + cost > maxBytesInFlight) {
        // Refused before the body is read: close the connection rather than drain a body nobody will parse.
        reply.header('Connection', 'close');
        const full = new QueueFullError(`${this.bytes} request bytes in flight, limit ${maxBytesInFlight}`);
        sendAnswer(reply, errorAnswer(full, bodyLimit));
        return; // answered: the request goes no further
      }
      this.bytes += cost;
      this.open++;
      this.receiving++;
      const budget = new Admitted(this, reply, cost);
      budget.timer = setTimeout(this.atDeadline, timeoutMs, budget);
      (reply.raw as AdmittedResponse)[ADMITTED] = budget;
      reply.raw.on('close', atClose);
      req.botlensBudget = budget;
      done();
    });
  }

  /** The deadline of an admitted request (a timer argument, so no closure per request). */
  private readonly atDeadline = (b: Admitted): void => {
    const late = new DeadlineExceededError(this.limits.timeoutMs);
    b.abort(late);
    // Still receiving or parsing the body: answer now (Fastify skips the handler once a reply is sent).
    if (!b.started && !b.reply.sent) {
      b.reply.header('Connection', 'close');
      sendAnswer(b.reply, errorAnswer(late, this.limits.bodyLimit));
    }
  };

  /**
   * Resolves once every detection started for a request has settled (waiting ones left the queue or ran),
   * whether or not its answer went out: a client that disconnected leaves its detection running until the
   * detector returns (or never, for one that hangs: the caller bounds the wait).
   */
  settled(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** Gives back what an admitted request held, once its response closed (see {@link atClose}). @internal */
  closed(b: Admitted): void {
    clearTimeout(b.timer);
    this.bytes -= b.cost;
    this.open--;
    if (!b.started) this.receiving--;
  }

  /**
   * Calls `waiter.go()` on a later event-loop turn: detections start in turns of at most about 1 ms (one per
   * turn once one holds the thread that long), so the I/O of other requests (probes included) is served between
   * them instead of after all of them.
   */
  /** @internal */
  nextTurn(waiter: { go(): void }): void {
    this.turnWaiters.push(waiter);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      this.scheduleTurn();
    }
  }

  /**
   * The next turn: on the next event-loop turn (`setImmediate`); or, within the pause after CPU-bound work, once
   * a turn went by without a new connection. Node accepts one connection per turn, and the listen queue cannot
   * be seen from here: a new connection in the last turn says more may be waiting.
   */
  private scheduleTurn(): void {
    if (performance.now() >= this.resumeAt) {
      setImmediate(this.releaseTurn);
      return;
    }
    let seen = -1; // the first hop only reaches the next turn's I/O
    const hop = (): void => {
      if (seen === this.connections || performance.now() >= this.resumeAt) {
        this.releaseTurn();
        return;
      }
      seen = this.connections;
      setImmediate(hop);
    };
    setImmediate(hop);
  }

  private readonly releaseTurn = (): void => {
    const t0 = performance.now();
    const waiter = this.turnWaiters.shift();
    // The next turn is planned before this one's detection runs (and moves `resumeAt`), as it always was.
    if (this.turnWaiters.length > 0) this.scheduleTurn();
    else this.turnScheduled = false;
    waiter?.go();
    // Detections that hold the thread briefly share the turn, up to PAUSE_FROM_MS of it: I/O is still served at
    // least that often, and a turn per detection (an event-loop pass each) cost more than a short detection.
    // One that held the thread longer moved `resumeAt` past now, and the rest wait for their turns.
    while (this.turnWaiters.length > 0) {
      const now = performance.now();
      if (now - t0 >= PAUSE_FROM_MS || now < this.resumeAt) break;
      this.turnWaiters.shift()!.go();
    }
  };

  /** Starts `work`, noting how long its synchronous part held the thread (CPU-bound work in this thread). */
  private start<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const t0 = performance.now();
    const pending = work(signal);
    const held = performance.now() - t0;
    if (held >= PAUSE_FROM_MS)
      this.resumeAt = Math.max(this.resumeAt, t0 + held + Math.min(held, MAX_PAUSE_MS));
    return pending;
  }

  /**
   * Runs detection work for an admitted request: waits for a slot (bounded), starts on a fresh event-loop turn,
   * and settles no later than the request's deadline or disconnect, with the signal's reason. The slot is held
   * until the work itself settles, even when the answer went out earlier. One promise and one
   * {@link PendingRun} per request, no closures per step: this is on every request's path.
   */
  run<T>(req: FastifyRequest, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const budget = req.botlensBudget;
    if (budget && !budget.started) {
      budget.started = true;
      this.receiving--;
    }
    // without the admission hook there is no budget, and the signal never aborts
    const signal = budget?.signal ?? new AbortController().signal;
    return new Promise<T>((resolve, reject) => {
      const r = new PendingRun(this, req, work, signal, resolve, reject);
      if (signal.aborted) return r.fail(signal.reason);
      if (budget) budget.run = r;
      let holdsSlot: boolean;
      try {
        holdsSlot = this.queue.acquire(r);
      } catch (err) {
        return r.fail(err);
      }
      if (holdsSlot) this.nextTurn(r);
    });
  }

  /** Starts `work` for a run whose turn came, or ends a run whose client went; gives the slot back when done. */
  begin<T>(r: PendingRun<T>): void {
    // A socket destroyed in this turn's I/O emits 'close' (which aborts the signal) only after this turn's
    // immediates; and a client that half-closed cannot be answered (Node ends the connection).
    if (clientGone(r.req)) {
      this.queue.release();
      r.fail(new AbortedError('The request (client disconnected)')); // the signal's reason when it aborted
      return;
    }
    let pending: Promise<T>;
    try {
      pending = this.start(r.work, r.signal);
    } catch (err) {
      this.queue.release();
      r.fail(err);
      return;
    }
    pending.then(
      (value) => {
        this.queue.release();
        r.succeed(value);
      },
      (err: unknown) => {
        this.queue.release();
        r.fail(err);
      },
    );
  }
}

/**
 * One detection on its way through {@link Admission.run}: waiting for a slot, then for a turn, then running.
 * Its steps are methods, so a request costs one object rather than a closure per step.
 */
class PendingRun<T> implements QueueWaiter {
  private settled = false;

  constructor(
    private readonly admission: Admission,
    readonly req: FastifyRequest,
    readonly work: (signal: AbortSignal) => Promise<T>,
    readonly signal: AbortSignal,
    private readonly resolve: (value: T) => void,
    private readonly reject: (reason: unknown) => void,
  ) {}

  /** A slot was handed over: wait for a turn. */
  wake(): void {
    this.admission.nextTurn(this);
  }

  /** Its turn came. */
  go(): void {
    this.admission.begin(this);
  }

  /** The deadline passed or the client went: settle now (a queued run leaves the queue; a running one keeps its slot). */
  stop(reason: unknown): void {
    this.admission.queue.cancel(this); // false, and nothing to do, once it holds a slot
    this.fail(reason);
  }

  succeed(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(value);
  }

  /** Rejects with the signal's reason once it aborted, else with `err`. */
  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(this.signal.aborted ? this.signal.reason : err);
  }
}
