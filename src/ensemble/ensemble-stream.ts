import type {
  Detection,
  DetectionStream,
  DetectionSupport,
  DetectOptions,
  Detector,
  StreamOptions,
} from '../core/detector.js';
import { MessageLog } from '../core/message-log.js';
import { refuseUnknownPushOptions } from '../core/method-options.js';
import { raceAbort } from '../core/race-abort.js';
import {
  canPushNow,
  type FinishingStream,
  markPushOptionsChecked,
  openMemberStream,
  pushNowOrLater,
  replayStream,
  type SyncPushStream,
} from '../core/stream.js';
import type { Message, ValidMessage } from '../core/transcript.js';
import { resolveValidationLimits } from '../core/validate.js';
import { AbortedError } from '../errors/aborted-error.js';
import { isMemberFailure, pushMemberNow, settleMember } from './run-members.js';
import type { EnsembleResult, EnsembleStrategy, MemberOutcome } from './types.js';

/**
 * Combines the members' current outcomes into the ensemble's detection, at once (every member has answered,
 * so there is nothing to wait for). @internal
 */
export type CombineOutcomes = (
  support: DetectionSupport,
  outcomes: readonly MemberOutcome[],
  signal: AbortSignal | undefined,
) => EnsembleResult;

/**
 * One member's replay state in an ensemble stream. A member whose push failed is `stale`: its stream missed a
 * message, so at its next push the stream is opened again and the kept messages are replayed first. A member
 * whose replay fails too (one message it cannot take, every time) is backed off: replayed again only from log
 * length `retryAt`, 2, 4, 8... messages on, so its replays cost O(k log n) pushes instead of O(k n); each push in
 * between reports it failed with that replay's `error`, without trying it (see `finish` for the last message).
 */
interface MemberReplay {
  /** Its stream lacks a kept message (a push of its failed, or a push was undone): replayed at its next push. */
  stale: boolean;
  /** How many of its replays in a row failed. */
  failures: number;
  /** The log length from which it is replayed again (0: at its next push). */
  retryAt: number;
  /** The last failed replay's error. */
  error: unknown;
}

/** True when every member's stream can push synchronously now. */
function allCanPushNow(streams: readonly DetectionStream[]): boolean {
  for (const s of streams) if (!canPushNow(s)) return false;
  return true;
}

/**
 * The ensemble's stream: one stream per member (`openStream`: the member's incremental stream when it has one,
 * else the recomputing fallback); each push goes to every member, then `combine` turns their latest detections
 * into the ensemble's. The ensemble's own work per push is constant (the message is checked on its own and the
 * evidence counts are kept as running totals), so the total cost is the members' streams' cost. When another
 * speaker's message leaves every member's detection as it was (the same objects: the heuristic and hashing
 * embedding streams keep theirs on such messages), the ensemble's detection is kept too instead of being
 * combined again: nothing it rests on changed.
 *
 * A member whose push fails is kept as an error at that push, as in `detect()`. Its stream missed the message,
 * so at the member's next push the stream is opened again and every message kept so far is pushed to it again
 * ({@link replayStream}; at most `limits.maxMessages` messages, the ones the stream keeps) before the new one:
 * once the member works again, its detections (and the ensemble's) are those of `detect()` on the messages so
 * far; while it keeps failing, each push reports it failed. A member whose replay fails too is replayed again
 * only after 2, 4, 8... more messages (each push in between reports that replay's error), so a member that can
 * never take one message costs O(k log n) replayed pushes, not O(k n). A member that recovers meanwhile is
 * reported failed until its next replay; since a push cannot tell it is the last, `finish()`
 * ({@link FinishingStream}, which `detectTimeline` calls after a last message with a failed member) tries every
 * failing member once more on all the kept messages, so the detection at the end equals `detect()`'s whenever
 * each member can run then, for one replay per failing member. A push that rejects
 * after its message was checked (cancelled, every member failed, or the ensemble was disposed) leaves the
 * stream as it was before it: the message is forgotten and every member is replayed at the next push, since
 * some may have taken it.
 *
 * A push rejects with `AbortedError` as soon as its `signal` aborts, even while a member's stream that ignores
 * the signal is still working: that push is then undone as any rejected push is (its message forgotten, every
 * member replayed at the next push), and the member's work runs on, tracked (the ensemble's `dispose()` waits for
 * it) and observed; its answer is dropped. A push whose options hold an unknown key (`sigal`) rejects with
 * `InvalidOptionsError` before anything changes.
 *
 * The ensemble's own check of each message uses `opts.limits` (when given; the members apply their own
 * otherwise). Pushes are serialized. When nothing is queued, no member waits for a replay and every member's
 * stream can push synchronously ({@link SyncPushStream}), the push runs at once (its promise is already
 * settled): no promise per member, no turn through the chain.
 *
 * @param name - the ensemble's name, for its errors
 * @param members - the ensemble's members, constructor order
 * @param opts - the target speaker and profile
 * @param track - starts a member's push (and its replay) and keeps it while it runs, with the member's name (the
 *   ensemble's dispose() waits for it; once dispose() has begun, it starts nothing and throws)
 * @param combine - combines member outcomes (the ensemble's strategy)
 * @internal
 */
export function openEnsembleStream(
  name: string,
  members: readonly Detector[],
  opts: StreamOptions,
  track: <T>(start: () => Promise<T>, member: string) => Promise<T>,
  combine: CombineOutcomes,
): FinishingStream {
  // The members' streams as they are: this stream checks each push's options once, for all of them.
  const streams: DetectionStream[] = members.map((m) => openMemberStream(m, opts));
  /**
   * The messages pushed so far, each checked before any member sees it: `opts.limits`, else the defaults, as
   * `Ensemble.detect()` checks a whole transcript. A push past `maxMessages` is refused with the typed error and
   * leaves the stream as it was, rather than failing every member. Kept for the members' replays.
   */
  const log = new MessageLog(opts?.target, opts?.profile, resolveValidationLimits(opts?.limits));
  /** Each member's replay state, constructor order. */
  const replays: MemberReplay[] = members.map(() => ({
    stale: false,
    failures: 0,
    retryAt: 0,
    error: undefined,
  }));
  /** Members whose `stale` is set. */
  let staleCount = 0;
  const markStale = (j: number): void => {
    if (!replays[j]!.stale) staleCount++;
    replays[j]!.stale = true;
  };
  /** Marks a member whose push failed, so its stream is replayed at its next push. */
  const keep = (j: number, o: MemberOutcome): MemberOutcome => {
    if (isMemberFailure(o)) markStale(j);
    return o;
  };
  let support: DetectionSupport = { targetMessages: 0, targetCharacters: 0 };
  const what = `Ensemble "${name}" stream push()`;
  let latest: Detection | undefined;
  /** Each member's outcome at the latest push. */
  let seen: readonly MemberOutcome[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  /** Pushes queued or running on `chain`. */
  let busy = 0;

  /**
   * The ensemble's detection once every member has answered the message. Nothing is kept until `combine`
   * has answered, so a push that throws here leaves the detection and the counts as they were.
   */
  const conclude = (
    message: Message,
    outcomes: MemberOutcome[],
    signal: AbortSignal | undefined,
  ): Detection => {
    // A failure is a new object at every push, so it never counts as unchanged.
    let unchanged = latest !== undefined;
    for (let j = 0; unchanged && j < outcomes.length; j++) unchanged = outcomes[j] === seen[j];
    if (message.speaker !== opts.target && unchanged) {
      seen = outcomes;
      return latest!;
    }
    const next =
      message.speaker === opts.target
        ? {
            targetMessages: support.targetMessages + 1,
            targetCharacters: support.targetCharacters + message.text.length,
          }
        : { ...support };
    latest = combine(next, outcomes, signal);
    support = next;
    seen = outcomes;
    return latest;
  };

  /** Counts undone pushes: a replay still running from before an undo must not put its stream back. */
  let undone = 0;
  /** Undoes a push that threw after its message was kept: forgets the message and replays every member next. */
  const undo = (message: ValidMessage): void => {
    undone++;
    if (log.messages[log.messages.length - 1] === message) log.pop();
    for (let j = 0; j < members.length; j++) markStale(j);
  };

  /**
   * Member `j`'s push: its stream's, after a replay of the messages before this one when it is stale (unless it
   * is backed off: then its last replay's error, without a try; `force` tries it anyway).
   */
  const pushMember = (
    j: number,
    message: Message,
    detectOpts: DetectOptions,
    force = false,
  ): Promise<MemberOutcome> => {
    const member = members[j]!;
    const r = replays[j]!;
    const replay = async (): Promise<Detection> => {
      const at = undone;
      let s: DetectionStream;
      try {
        s = await replayStream(member, opts, log.messages.slice(0, -1), detectOpts);
      } catch (err) {
        // A cancelled push is not the member's failure: it is replayed at the next push as before.
        if (AbortedError.isInstance(err) || detectOpts.signal?.aborted) throw err;
        r.failures++;
        r.retryAt = log.messages.length + 2 ** r.failures;
        r.error = err;
        throw err;
      }
      if (at === undone) {
        streams[j] = s;
        r.stale = false;
        staleCount--;
        r.failures = 0;
        r.retryAt = 0;
      }
      return pushNowOrLater(s, message, detectOpts);
    };
    const call = !r.stale
      ? async (): Promise<Detection> => pushNowOrLater(streams[j]!, message, detectOpts)
      : !force && log.messages.length < r.retryAt
        ? async (): Promise<Detection> => {
            throw r.error;
          }
        : replay;
    return track(() => settleMember(member, call, detectOpts.signal, what), member.name).then((o) =>
      keep(j, o),
    );
  };

  /** A push with every member able to push synchronously: no await anywhere. */
  const pushNow = (message: Message, detectOpts: DetectOptions): Detection => {
    const kept = log.append(message);
    try {
      const outcomes: MemberOutcome[] = new Array(streams.length);
      for (let j = 0; j < streams.length; j++) {
        outcomes[j] = keep(
          j,
          pushMemberNow(members[j]!, streams[j] as SyncPushStream, message, detectOpts, what),
        );
      }
      return conclude(message, outcomes, detectOpts.signal);
    } catch (err) {
      undo(kept);
      throw err;
    }
  };

  return markPushOptionsChecked({
    push(message: Message, detectOpts: DetectOptions = {}): Promise<Detection> {
      if (busy === 0 && staleCount === 0 && allCanPushNow(streams)) {
        try {
          refuseUnknownPushOptions(detectOpts, name);
          // Cancelled before it started: nothing changes (a member's synchronous push might not look).
          if (detectOpts.signal?.aborted) AbortedError.throwIfAborted(detectOpts.signal, what);
          return Promise.resolve(pushNow(message, detectOpts));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      try {
        refuseUnknownPushOptions(detectOpts, name);
      } catch (err) {
        return Promise.reject(err);
      }
      busy++;
      const run = chain.then(async () => {
        AbortedError.throwIfAborted(detectOpts.signal, what);
        // Checks this message alone (shape, timestamp, order), before any member sees it, so a bad message
        // reaches no member and a push costs the same at any length.
        const kept = log.append(message);
        try {
          // Returns at the abort even when a member's stream ignores its signal (its work runs on, tracked).
          const outcomes = await raceAbort(
            Promise.all(streams.map((_, j) => pushMember(j, message, detectOpts))),
            detectOpts.signal,
            what,
          );
          return conclude(message, outcomes, detectOpts.signal);
        } catch (err) {
          undo(kept);
          throw err;
        }
      });
      const done = (): void => {
        busy--;
      };
      chain = run.then(done, done);
      return run;
    },
    detection: () => latest,
    finish(detectOpts: DetectOptions = {}): Promise<Detection | undefined> {
      if (busy === 0 && staleCount === 0) return Promise.resolve(latest);
      busy++;
      const run = chain.then(async () => {
        const last = log.messages[log.messages.length - 1];
        if (staleCount === 0 || last === undefined || latest === undefined) return latest;
        // Each member still failing tries once more, on every kept message (a forced replay), so a member that
        // recovered while backed off is counted as detect() counts it; the others keep their outcomes.
        const outcomes = await raceAbort(
          Promise.all(seen.map((o, j) => (replays[j]!.stale ? pushMember(j, last, detectOpts, true) : o))),
          detectOpts.signal,
          what,
        );
        latest = combine(support, outcomes, detectOpts.signal);
        seen = outcomes;
        return latest;
      });
      const done = (): void => {
        busy--;
      };
      chain = run.then(done, done);
      return run;
    },
  });
}

/**
 * The stream's answer before the target has written anything: an abstention that says so.
 *
 * @internal
 */
export function waitingResult(
  ensemble: string,
  strategy: EnsembleStrategy,
  threshold: number,
  support: DetectionSupport,
): EnsembleResult {
  const sentence = 'The target has not written yet, so there is nothing to judge: the ensemble abstains.';
  return {
    detector: ensemble,
    score: null,
    label: null,
    evidence: [{ name: 'abstained', value: null, sentence }],
    elapsedMs: 0,
    support,
    strategy,
    threshold,
    members: [],
    ran: [],
    skipped: [],
    explanation: [sentence],
  };
}
