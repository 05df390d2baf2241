import { AbortedError } from '../errors/aborted-error.js';
import { checkedDetection } from './assert-detection.js';
import { abstained, nowMs } from './detection.js';
import type { Detection, DetectionStream, DetectOptions, Detector, StreamOptions } from './detector.js';
import { MessageLog } from './message-log.js';
import { refuseUnknownPushOptions, refuseUnknownStreamOptions } from './method-options.js';
import type { Message } from './transcript.js';
import { type ValidationLimits, validateTranscript } from './validate.js';

/**
 * Opens a {@link DetectionStream} on any detector: its own `stream()` when it has one, otherwise a stream that
 * re-runs `detect()` on every message pushed so far (`recomputingStream`: cost grows with the transcript;
 * detectors that care implement `stream()` to update incrementally).
 *
 * Every stream checks each pushed message against `opts.limits` (default: the detector's own limits, as its
 * `detect()` applies them): the push that would pass `maxMessages` rejects with `InvalidTranscriptError` naming
 * `maxMessages`, and the stream keeps judging the messages it has. Raise `limits.maxMessages` for long chats.
 *
 * Each push's options are checked as `detect()`'s are, whatever the stream (a plug-in detector's own included): an
 * unknown key (`sigal` for `signal`) rejects the push with `InvalidOptionsError`, "did you mean" included, before
 * the stream sees it. A plug-in's own stream is handed back behind a proxy that checks them; its other methods and
 * properties stay reachable.
 *
 * @param detector - the detector to run
 * @param opts - the target speaker, profile and validation limits
 * @throws InvalidTranscriptError when `opts.target` is not a non-empty string or the profile is malformed
 * @example
 * ```ts
 * const live = openStream(new HeuristicDetector(), { target: 'helperbot', limits: { maxMessages: 5000 } });
 * const d = await live.push({ speaker: 'helperbot', text: 'Hello !' });
 * ```
 */
export function openStream(detector: Detector, opts: StreamOptions): DetectionStream {
  refuseUnknownStreamOptions(opts, 'the options of openStream()');
  return withCheckedPushes(openMemberStream(detector, opts), detector.name);
}

/**
 * {@link openStream} without the check of each push's options: for a caller that checks them once itself (an
 * ensemble's stream, whose pushes go to every member's stream at every message).
 *
 * @param detector - the detector to run
 * @param opts - the target speaker, profile and validation limits (checked by the caller)
 * @internal
 */
export function openMemberStream(detector: Detector, opts: StreamOptions): DetectionStream {
  if (detector.stream) return detector.stream(opts);
  return recomputingStream(detector, opts);
}

/**
 * Marks a stream whose `push` refuses unknown option keys itself (the recomputing stream, an ensemble's,
 * {@link ImmediateStream}s), so {@link withCheckedPushes} returns it as it is. Shared by every copy of botlens.
 */
const CHECKS_PUSH_OPTIONS: unique symbol = Symbol.for('botlens.stream.checksPushOptions');

/**
 * Marks `s` as a stream whose `push` refuses unknown option keys itself, and returns it. @internal
 *
 * @param s - the stream
 */
export function markPushOptionsChecked<S extends DetectionStream>(s: S): S {
  Object.defineProperty(s, CHECKS_PUSH_OPTIONS, { value: true });
  return s;
}

/**
 * `s`, with every `push` (and `pushNow`) refusing an option key {@link DetectOptions} does not have (`sigal` for
 * `signal`, with "did you mean") as `detect()` does: a misspelt `signal` would otherwise leave the push
 * impossible to cancel, without a word. A stream that checks its pushes itself is returned as it is; any other
 * (a plug-in detector's own `stream()`) is wrapped in a proxy that checks, then hands every call and property on
 * to the stream itself.
 *
 * @param s - the stream
 * @param detector - the detector's name, for the error
 * @internal
 */
export function withCheckedPushes(s: DetectionStream, detector: string): DetectionStream {
  if ((s as { [CHECKS_PUSH_OPTIONS]?: true })[CHECKS_PUSH_OPTIONS] === true) return s;
  const push = (message: Message, opts?: DetectOptions): Promise<Detection> => {
    try {
      refuseUnknownPushOptions(opts, detector);
    } catch (err) {
      return Promise.reject(err);
    }
    return s.push(message, opts);
  };
  const pushNow = (message: Message, opts: DetectOptions): Detection => {
    refuseUnknownPushOptions(opts, detector);
    return (s as SyncPushStream).pushNow(message, opts);
  };
  return new Proxy(s, {
    get(target, key) {
      if (key === 'push') return push;
      if (key === 'pushNow' && typeof (target as Partial<SyncPushStream>).pushNow === 'function')
        return pushNow;
      if (key === CHECKS_PUSH_OPTIONS) return true;
      const v: unknown = Reflect.get(target, key, target);
      // Bound to the stream itself: a class stream's methods may read its private fields.
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The fallback stream: keeps the messages pushed so far and runs `detect()` on all of them at each push, so a
 * push costs one `detect()` on the transcript so far (O(n) each, O(n²) for a whole transcript).
 *
 * - Each pushed message is checked as `validateTranscript` checks it (shape, timestamp order); a bad one
 *   rejects its push with `InvalidTranscriptError` and is not kept.
 * - Before the target's first message the detection abstains (`score: null`) instead of failing.
 * - Pushes are serialized: detections arrive in message order even when pushes are not awaited.
 * - A push whose `detect()` fails (an aborted `signal`, a transcript over the detector's limits) rejects and
 *   leaves the stream as it was before that push.
 * - With `opts.limits`, each message (and the count) is checked against them, and `detect()` gets the messages
 *   so far as a transcript validated under them (so a detector built without limits of its own accepts a
 *   chat longer than the default 200 messages, as its `detect()` accepts one validated under raised limits).
 *   Without them the message count is left to the detector's `detect()`.
 *
 * @param detector - the detector to run
 * @param opts - the target speaker, profile and validation limits
 * @param seed - messages the stream holds from the start, as if pushed, without running `detect()` on them
 *   (the next push judges them with it; {@link replayStream})
 * @throws InvalidTranscriptError when `opts.target` is not a non-empty string or the profile is malformed, or
 *   a `seed` message fails the push checks
 */
export function recomputingStream(
  detector: Detector,
  opts: StreamOptions,
  seed: readonly Message[] = [],
): DetectionStream {
  const limits: ValidationLimits | undefined = opts?.limits;
  const log = new MessageLog(opts?.target, opts?.profile, limits ?? { maxMessages: Number.MAX_SAFE_INTEGER });
  for (const m of seed) log.append(m);
  let latest: Detection | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  return markPushOptionsChecked({
    push(message: Message, detectOpts?: DetectOptions): Promise<Detection> {
      try {
        refuseUnknownPushOptions(detectOpts, detector.name);
      } catch (err) {
        return Promise.reject(err);
      }
      const run = chain.then(async () => {
        const started = nowMs();
        AbortedError.throwIfAborted(detectOpts?.signal, `${detector.name} stream`);
        const m = log.append(message);
        try {
          if (!log.targetSpoke) {
            latest = {
              ...abstained(
                detector.name,
                'The target has not sent a message yet: nothing to judge.',
                started,
              ),
              support: { targetMessages: 0, targetCharacters: 0 },
            };
          } else {
            const t = log.transcript();
            latest = checkedDetection(
              await detector.detect(limits ? validateTranscript(t, limits) : t, detectOpts),
              detector.name,
            );
          }
        } catch (err) {
          if (log.messages[log.messages.length - 1] === m) log.pop();
          throw err;
        }
        return latest;
      });
      chain = run.catch(() => undefined);
      return run;
    },
    detection: () => latest,
  });
}

/**
 * Opens a stream on `detector` again and brings it to where a stream that took `messages` would be: its own
 * `stream()` with every message pushed again, in order (the detections in between are dropped), or the
 * recomputing stream holding them, with no `detect()` until the next push. An ensemble rebuilds a member's
 * stream with it after that member's push failed (the failed stream missed a message).
 *
 * @param detector - the detector to run
 * @param opts - the target speaker, profile and validation limits (as the first stream was opened with)
 * @param messages - the messages the stream must hold, in push order
 * @param detectOpts - the options of each push (its `signal`)
 * @returns the stream, ready for the next message
 * @throws what the detector's `stream()` or a push throws (the first failure stops the replay)
 * @internal
 */
export async function replayStream(
  detector: Detector,
  opts: StreamOptions,
  messages: readonly Message[],
  detectOpts: DetectOptions,
): Promise<DetectionStream> {
  if (!detector.stream) return recomputingStream(detector, opts, messages);
  const s = detector.stream(opts);
  for (const m of messages) await pushNowOrLater(s, m, detectOpts);
  return s;
}

/**
 * Pushes `message` the cheapest way `s` allows now: `pushNow` (the detection itself) when it can push
 * synchronously ({@link SyncPushStream}), else `push`.
 *
 * @param s - the stream
 * @param message - the message
 * @param opts - the push's options
 * @internal
 */
export function pushNowOrLater(
  s: DetectionStream,
  message: Message,
  opts: DetectOptions,
): Detection | Promise<Detection> {
  return canPushNow(s) ? s.pushNow(message, opts) : s.push(message, opts);
}

/**
 * A member stream that can also push synchronously (the heuristic and hashing embedding streams, once ready):
 * `pushNow` does what `push` does and returns the detection itself, or throws what `push` would reject with.
 * An ensemble's stream then runs a push without a promise per member. Declared here, below the
 * detectors that implement it and the ensemble that uses it. @internal
 */
export interface SyncPushStream extends DetectionStream {
  /** True when `pushNow` may be called now (nothing queued, nothing to wait for). */
  canPushNow(): boolean;
  /** `push` done at once: the detection, or the error `push` would reject with, thrown. */
  pushNow(message: Message, opts: DetectOptions): Detection;
}

/**
 * A {@link SyncPushStream} whose every push runs at once: `push` is `pushNow` wrapped in a promise (a thrown
 * error becomes the rejection) and `canPushNow` is always true. The detectors' synchronous streams extend it and
 * write only `pushNow` and `detection`.
 *
 * @internal
 */
export abstract class ImmediateStream implements SyncPushStream {
  /** Refuses an unknown option key (as `detect()` does), then runs `pushNow`. */
  push(message: Message, opts: DetectOptions = {}): Promise<Detection> {
    try {
      refuseUnknownPushOptions(opts, undefined);
      return Promise.resolve(this.pushNow(message, opts));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Always true: every push runs at once. */
  canPushNow(): boolean {
    return true;
  }

  abstract pushNow(message: Message, opts?: DetectOptions): Detection;

  abstract detection(): Detection | undefined;
}
// Its push checks the option keys: openStream hands such a stream on as it is.
Object.defineProperty(ImmediateStream.prototype, CHECKS_PUSH_OPTIONS, { value: true });

/**
 * A stream that can bring its detection up to date once the last message was pushed: an ensemble's, whose
 * members that failed and are backed off (replayed only 2, 4, 8... messages apart) are tried once more on every
 * message, so the detection equals `detect()` on the messages so far whenever each member can run on them.
 * Declared here, below the ensemble that implements it and {@link finishStream}'s callers. @internal
 */
export interface FinishingStream extends DetectionStream {
  /** The detection after the messages pushed so far, with every failing member tried once more. */
  finish(opts: DetectOptions): Promise<Detection | undefined>;
}

/**
 * The detection of `s` after its last message, as `detect()` gives it on the messages pushed: a
 * {@link FinishingStream}'s `finish`, else `detection()` (a stream without it is up to date after each push).
 * Call it once the transcript is complete (a timeline's last point).
 *
 * @param s - the stream
 * @param opts - the options of the work it may do (its `signal`)
 * @internal
 */
export function finishStream(s: DetectionStream, opts: DetectOptions): Promise<Detection | undefined> {
  const f = s as Partial<FinishingStream>;
  return typeof f.finish === 'function' ? f.finish(opts) : Promise.resolve(s.detection());
}

/** True when `s` is a {@link SyncPushStream} that can push synchronously now. @internal */
export function canPushNow(s: DetectionStream): s is SyncPushStream {
  const x = s as Partial<SyncPushStream>;
  return typeof x.canPushNow === 'function' && typeof x.pushNow === 'function' && x.canPushNow();
}
