import type {
  Detection,
  DetectionStream,
  DetectionSupport,
  DetectOptions,
  Detector,
  StreamOptions,
} from '../core/detector.js';
import { MessageSequence } from '../core/message-log.js';
import { canPushNow, openStream, type SyncPushStream } from '../core/stream.js';
import type { Message } from '../core/transcript.js';
import { resolveValidationLimits } from '../core/validate.js';
import { pushMemberNow, settleMember } from './run-members.js';
import type { EnsembleResult, EnsembleStrategy, MemberFailure, MemberOutcome } from './types.js';

/**
 * Combines the members' current outcomes into the ensemble's detection, at once (every member has answered,
 * so there is nothing to wait for). @internal
 */
export type CombineOutcomes = (
  support: DetectionSupport,
  outcomes: readonly MemberOutcome[],
  signal: AbortSignal | undefined,
) => EnsembleResult;

/** True when every stream still pushed to (not `failed`) can push synchronously now. */
function allCanPushNow(
  streams: readonly DetectionStream[],
  failed: readonly (MemberFailure | undefined)[],
): boolean {
  for (let j = 0; j < streams.length; j++)
    if (failed[j] === undefined && !canPushNow(streams[j]!)) return false;
  return true;
}

/** True when a member's outcome is a failure kept as data. */
function isFailure(o: MemberOutcome): o is MemberFailure {
  return 'error' in o;
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
 * A member whose push fails is kept as an error, as in `detect()`, and stays failed with that error for the rest
 * of the stream: its stream missed the message, so a later detection of its would judge a different
 * transcript (a member past its `maxMessages`, for one, refuses every later push too). The ensemble's own check
 * of each message uses `opts.limits` (when given; the members apply their own otherwise). Pushes are
 * serialized. When
 * nothing is queued and every member's stream can push synchronously ({@link SyncPushStream}), the push runs
 * at once (its promise is already settled): no promise per member, no turn through the chain.
 *
 * @param members - the ensemble's members, constructor order
 * @param opts - the target speaker and profile
 * @param track - keeps a member's push while it runs (the ensemble's dispose() waits for it)
 * @param combine - combines member outcomes (the ensemble's strategy)
 * @internal
 */
export function openEnsembleStream(
  members: readonly Detector[],
  opts: StreamOptions,
  track: <T>(work: Promise<T>) => Promise<T>,
  combine: CombineOutcomes,
): DetectionStream {
  const streams = members.map((m) => openStream(m, opts));
  /** Each member's first failed push (its stream missed that message: it is not pushed to again). */
  const failed: (MemberFailure | undefined)[] = new Array(members.length).fill(undefined);
  /**
   * The ensemble's own check of each message, before any member sees it: `opts.limits`, else the defaults, as
   * `Ensemble.detect()` checks a whole transcript. A push past `maxMessages` is refused with the typed error and
   * leaves the stream as it was, rather than failing every member.
   */
  const limits = resolveValidationLimits(opts?.limits);
  /** Keeps a member's failure for the pushes after it. */
  const keep = (j: number, o: MemberOutcome): MemberOutcome => {
    if (isFailure(o)) failed[j] = o;
    return o;
  };
  const support: DetectionSupport = { targetMessages: 0, targetCharacters: 0 };
  const what = 'Ensemble stream push()';
  let latest: Detection | undefined;
  /** Each member's outcome at the latest push. */
  let seen: readonly MemberOutcome[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  /** Pushes queued or running on `chain`. */
  let busy = 0;
  /** The pushed messages' order (a timestamp must not go backwards, as in `detect()`). */
  const sequence = new MessageSequence();

  /** The ensemble's detection once every member has answered the message. */
  const conclude = (
    message: Message,
    outcomes: MemberOutcome[],
    signal: AbortSignal | undefined,
  ): Detection => {
    // A failure is a new object at every push, so it never counts as unchanged.
    let unchanged = latest !== undefined;
    for (let j = 0; unchanged && j < outcomes.length; j++) unchanged = outcomes[j] === seen[j];
    seen = outcomes;
    if (message.speaker === opts.target) {
      support.targetMessages++;
      support.targetCharacters += message.text.length;
    } else if (unchanged) return latest!;
    latest = combine({ ...support }, outcomes, signal);
    return latest;
  };

  /** A push with every member able to push synchronously: no await anywhere. */
  const pushNow = (message: Message, detectOpts: DetectOptions): Detection => {
    sequence.next(message, limits);
    const outcomes: MemberOutcome[] = new Array(streams.length);
    for (let j = 0; j < streams.length; j++) {
      outcomes[j] =
        failed[j] ??
        keep(j, pushMemberNow(members[j]!, streams[j] as SyncPushStream, message, detectOpts, what));
    }
    return conclude(message, outcomes, detectOpts.signal);
  };

  return {
    push(message: Message, detectOpts: DetectOptions = {}): Promise<Detection> {
      if (busy === 0 && allCanPushNow(streams, failed)) {
        try {
          return Promise.resolve(pushNow(message, detectOpts));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      busy++;
      const run = chain.then(async () => {
        // Checks this message alone (shape, timestamp, order), before any member sees it, so a bad message
        // reaches no member and a push costs the same at any length.
        sequence.next(message, limits);
        const { signal } = detectOpts;
        const outcomes = await Promise.all(
          streams.map(
            (s, j) =>
              failed[j] ??
              track(settleMember(members[j]!, () => s.push(message, detectOpts), signal, what)).then((o) =>
                keep(j, o),
              ),
          ),
        );
        return conclude(message, outcomes, signal);
      });
      const done = (): void => {
        busy--;
      };
      chain = run.then(done, done);
      return run;
    },
    detection: () => latest,
  };
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
