import { describeValue } from '../core/describe-value.js';
import { nowMs } from '../core/detection.js';
import type {
  DetectionStream,
  DetectionSupport,
  DetectOptions,
  Detector,
  StreamOptions,
} from '../core/detector.js';
import { Inflight } from '../core/inflight.js';
import {
  methodOptionsOf,
  refuseUnknownDetectOptions,
  refuseUnknownStreamOptions,
} from '../core/method-options.js';
import { inRange } from '../core/number-range.js';
import { raceAbort } from '../core/race-abort.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../core/transcript.js';
import { validateLabelled } from '../core/validate-examples.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import {
  chooseEnsembleThreshold,
  type EnsembleCalibrateOptions,
  type EnsembleCalibration,
} from './calibrate-ensemble.js';
import { validateAllForEnsemble, validateForEnsemble, withEnsembleLimitHint } from './ensemble-limits.js';
import {
  type ResolvedEnsembleOptions,
  refuseUnknownMethodOptions,
  resolveEnsembleOptions,
} from './ensemble-options.js';
import { openEnsembleStream, waitingResult } from './ensemble-stream.js';
import { buildResult } from './explain.js';
import { learnCombiner } from './learn-combiner.js';
import { DETECT_WITH_MEMBER_DEADLINE, type MemberDeadline, withinMemberDeadline } from './member-deadline.js';
import { copiesOf, cutSources, MemberExamples } from './member-examples.js';
import { fitMember } from './out-of-fold.js';
import {
  type RunSettings,
  runStages,
  type StagedRun,
  skippedMembers,
  transcriptSupport,
} from './run-ensemble.js';
import { runMemberBatch } from './run-members.js';
import { type EnsembleFromJsonOptions, ensembleState, rebuildMembers } from './state.js';
import { createStrategy } from './strategies/create-strategy.js';
import type { EnsembleCombiner } from './strategies/strategy.js';
import { type ResultRun, streamCombiner } from './stream-combine.js';
import type {
  EnsembleDisposeOptions,
  EnsembleFitOptions,
  EnsembleOptions,
  EnsembleResult,
  EnsembleState,
  EnsembleStrategy,
} from './types.js';

export type { EnsembleCalibrateOptions, EnsembleCalibration } from './calibrate-ensemble.js';
export type { EnsembleFromJsonOptions } from './state.js';

/**
 * Combines several detectors into one. The ensemble is itself a {@link Detector}, so it goes wherever a
 * detector goes (the CLI, the service, `evaluateDetector`, another ensemble).
 *
 * - Each member's result, or its error as data, is kept in `members`; a member that throws does not sink
 *   the ensemble (cancellation and the ensemble's own input validation do propagate).
 * - Abstaining members (score `null`) are left out, never counted as 0.5; when no member scores, the ensemble
 *   abstains.
 * - Strategies: `weighted-mean` (weighted mean of log-odds), `stacking` (a logistic combiner learned by
 *   {@link Ensemble.fit} on out-of-fold scores), `cascade` (cheapest member first, stopping once confident).
 * - {@link Ensemble.calibrate} sets the threshold for a target false-positive rate.
 * - {@link Ensemble.stream} judges a conversation as it grows, message by message.
 * - Every result says how much evidence it rests on (`support`: the target's messages and characters).
 *
 * @example
 * ```ts
 * const ens = new Ensemble([new HeuristicDetector(), timing], { strategy: 'weighted-mean', weights: { timing: 2 } });
 * const r = await ens.detect(transcript);
 * r.score; // P(bot), or null when every member abstained
 * r.explanation; // ['Bot: P(bot) = 0.812 from the weighted mean ...', '"heuristic" gave P(bot) = 0.700, ...']
 * ```
 */
export class Ensemble implements Detector {
  /** The ensemble's name (option `name`). */
  readonly name: string;
  /** How members are combined. */
  readonly strategy: EnsembleStrategy;
  readonly #members: readonly Detector[];
  readonly #o: ResolvedEnsembleOptions;
  readonly #combiner: EnsembleCombiner;
  #threshold: number;
  /** Whether the combiner in place learned from folds grouped by `EnsembleFitOptions.groups` (saved as `groupedFolds`). */
  #groupedFolds = false;
  #disposed = false;
  /** Member calls still running (a call rejects at its abort without waiting for them); dispose() waits. */
  readonly #inflight = new Inflight();

  /**
   * @param detectors - the members (at least one, unique names)
   * @param options - strategy, threshold, weights and the rest; see {@link EnsembleOptions}
   * @throws InvalidOptionsError naming the bad option
   */
  constructor(detectors: readonly Detector[], options: EnsembleOptions = {}) {
    this.#o = resolveEnsembleOptions(detectors, options);
    this.name = this.#o.name;
    this.strategy = this.#o.strategy;
    this.#members = [...detectors];
    this.#combiner = createStrategy(this.#o);
    this.#threshold = this.#o.threshold;
  }

  /** P(bot) at or above which the label is `bot`; set by the `threshold` option or {@link Ensemble.calibrate}. */
  get threshold(): number {
    return this.#threshold;
  }

  /** The members, in the order given. */
  get members(): readonly Detector[] {
    return this.#members;
  }

  /** Names of the members in the order a cascade runs them (the given order for other strategies). */
  get runOrder(): readonly string[] {
    return this.#combiner.stages().flatMap((stage) => stage.map((j) => this.#o.names[j]!));
  }

  /** Whether `fit()` (or fitted state) has given the ensemble learned combiner(s). */
  get isFitted(): boolean {
    return this.#combiner.isFitted;
  }

  /**
   * Judges one transcript: validates it once, runs the members on the frozen copy, and combines.
   *
   * @param t - the transcript
   * @param opts - an optional `signal`
   * @throws InvalidTranscriptError on bad input; NotFittedError for an unfitted `stacking` ensemble;
   *   AbortedError when cancelled; BotlensError `ALL_MEMBERS_FAILED` when every member threw
   *
   * @example
   * ```ts
   * const r = await ensemble.detect(transcript, { signal: AbortSignal.timeout(5000) });
   * ```
   */
  detect(t: Transcript, opts: DetectOptions = {}): Promise<EnsembleResult> {
    // Not async itself: one promise per call, #detect's (a wrapper would add one, and turns, per request).
    try {
      refuseUnknownDetectOptions(opts, 'detect', this.name);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#detect(t, opts.signal, undefined);
  }

  /** `detect()` once its options were checked, with an optional bound on some members' time. */
  async #detect(
    t: Transcript,
    signal: AbortSignal | undefined,
    memberDeadline: MemberDeadline | undefined,
  ): Promise<EnsembleResult> {
    const started = nowMs();
    const what = `Ensemble "${this.name}" detect()`;
    this.#checkUsable();
    AbortedError.throwIfAborted(signal, what);
    const v = validateForEnsemble(t, this.#o.limits, this.name);
    this.#combiner.checkFitted(this.name);
    const [r] = await this.#run([v], {
      signal,
      what,
      started,
      threshold: this.#threshold,
      stopEarly: true,
      ...(memberDeadline !== undefined && { memberDeadline }),
    });
    return r!;
  }

  static {
    // The service's warm-up bounds its optional members (see member-deadline.ts); not part of the public API.
    Object.defineProperty(Ensemble.prototype, DETECT_WITH_MEMBER_DEADLINE, {
      value(this: Ensemble, t: Transcript, deadline: MemberDeadline): Promise<EnsembleResult> {
        return this.#detect(t, undefined, deadline);
      },
    });
  }

  /**
   * Judges many transcripts. Every transcript is validated first (a bad one rejects the call, its index in
   * the issue path). Members with `detectBatch` get the whole batch; a cascade passes each stage only the
   * transcripts it is not yet confident about. Each result's `elapsedMs` is the batch's wall time divided
   * by its size.
   *
   * @param ts - the transcripts
   * @param opts - an optional `signal`
   *
   * @example
   * ```ts
   * const results = await ensemble.detectBatch(transcripts);
   * ```
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<EnsembleResult[]> {
    const started = nowMs();
    const what = `Ensemble "${this.name}" detectBatch()`;
    refuseUnknownDetectOptions(opts, 'detectBatch', this.name);
    this.#checkUsable();
    AbortedError.throwIfAborted(opts.signal, what);
    const valids = validateAllForEnsemble(ts, this.#o.limits, this.name);
    this.#combiner.checkFitted(this.name);
    return this.#run(valids, {
      signal: opts.signal,
      what,
      started,
      threshold: this.#threshold,
      stopEarly: true,
    });
  }

  /**
   * Judges a conversation as it grows: each `push(message)` feeds the message to every member's stream
   * (`openStream`: the member's own incremental stream, else one that re-runs `detect()`), then combines the
   * members' current detections exactly as {@link Ensemble.detect} would. After the last message the
   * detection equals `detect()` on the whole transcript. Pushes are serialized.
   *
   * @param opts - the target speaker, optional profile and validation limits (given to every member's stream;
   *   the ensemble's `limits` option when left out; raise `maxMessages` for chats longer than 200 messages). Once
   *   `dispose()` has begun, every push rejects with the `DISPOSED` error. A member whose push fails is reported as
   *   failed in that push's detection, as `detect()` reports it; at its next push its stream is opened again
   *   and the messages so far (the stream keeps up to `limits.maxMessages`) are pushed to it again first, so
   *   once the member works again the detection is `detect()`'s on the messages so far. A member whose replay
   *   fails too is replayed again only 2, 4, 8... messages later (each push in between reports its last error);
   *   `detectTimeline` tries such a member once more after the last message, so its last point equals
   *   `detect()`'s when the member works again by then. A push that rejects
   *   (cancelled, or every member failed) leaves the stream as it was before it: its message is not counted. A
   *   push given a `signal` rejects with `AbortedError` as soon as it aborts, even while a member's stream that
   *   ignores the signal is still working (its work runs on, and {@link Ensemble.dispose} waits for it); the next
   *   push replays the kept messages into every member's stream first. A push's options are checked like
   *   `detect()`'s: an unknown key (`sigal`) rejects with `InvalidOptionsError` and changes nothing.
   * @returns the stream; `detection()` is the latest result (`undefined` before the first push)
   * @throws NotFittedError for an unfitted `stacking` ensemble
   *
   * @example
   * ```ts
   * const live = ensemble.stream({ target: 'bot42' });
   * for (const m of incoming) console.log((await live.push(m)).score);
   * ```
   */
  stream(opts: StreamOptions): DetectionStream {
    refuseUnknownStreamOptions(opts, methodOptionsOf('stream', this.name));
    this.#checkUsable();
    this.#combiner.checkFitted(this.name);
    const what = `Ensemble "${this.name}" stream push()`;
    const run = streamCombiner(this.#combiner, this.#combiner.stages());
    // A push queued before dispose() and run after it must not call a disposed member: refused before it starts.
    const track = <T>(start: () => Promise<T>, member: string) => {
      this.#checkUsable();
      return this.#inflight.track(start(), `member "${member}"`);
    };
    // The ensemble's limits, unless the stream's own: its log checks each message with them, and every member's
    // stream gets them (as the limits of detect() are those of the whole call).
    const limits = opts?.limits ?? this.#o.limits;
    const streamOpts = limits === opts?.limits ? opts : { ...opts, limits };
    const s = openEnsembleStream(this.name, this.#members, streamOpts, track, (support, outcomes, signal) => {
      this.#checkUsable();
      if (support.targetMessages === 0)
        return waitingResult(this.name, this.strategy, this.#threshold, support);
      AbortedError.throwIfAborted(signal, what);
      const started = nowMs();
      const threshold = this.#threshold;
      const r = run(outcomes, support, threshold);
      return this.#result(r, support, threshold, nowMs() - started);
    });
    const push = s.push;
    // Every push after dispose() rejects with the DISPOSED error, even one whose message changes nothing the
    // detection rests on (another speaker's, answered from the last detection without calling a member).
    s.push = (message, detectOpts) => {
      try {
        this.#checkUsable();
      } catch (err) {
        return Promise.reject(err);
      }
      return push(message, detectOpts).catch((err: unknown) => {
        throw withEnsembleLimitHint(err, this.name, true);
      });
    };
    return s;
  }

  /**
   * Fits the ensemble on labelled transcripts.
   *
   * - `weighted-mean`: fits the members that have `fit()` on all examples.
   * - `stacking` and `cascade`: collects out-of-fold scores (K stratified, seeded folds: members with `fit()` are
   *   fitted on K-1 folds and score the held-out one), fits the logistic combiner (stacking) or one combiner per
   *   prefix of the run order (cascade) on them, then re-fits the members on all examples. Needs both labels and
   *   at least `folds` examples. `stacking` also fits its members on prefix cuts (option `memberPrefixCuts`) of a share of the
   *   examples (option `memberPrefixCutShare`).
   *
   * Without `cloneMember`, members are re-fitted in place fold after fold, so if `fit()` fails part-way they are
   * left fitted on one fold's training split; fit again before use.
   *
   * With `groups` (one per example, e.g. the data source), the out-of-fold folds keep groups whole, so the
   * combiner learns which members hold up on a group they were not fitted on (see {@link EnsembleFitOptions}).
   *
   * @param examples - labelled transcripts
   * @param opts - an optional `signal`, and `groups` for by-group folds
   * @throws InvalidTranscriptError naming the bad example; InvalidOptionsError when the examples cannot be
   *   split (or `groups` is given to `weighted-mean`, which learns no combiner); AbortedError when cancelled;
   *   BotlensError `MEMBER_FAILED` when a member fails on every example
   *
   * @example
   * ```ts
   * await ensemble.fit(await readTranscriptsJsonl('train.jsonl'));
   * ```
   */
  async fit(examples: LabelledTranscript[], opts: EnsembleFitOptions = {}): Promise<void> {
    const what = `Ensemble "${this.name}" fit()`;
    refuseUnknownMethodOptions('fit', opts, this.name);
    const { signal } = opts;
    this.#checkUsable();
    AbortedError.throwIfAborted(signal, what);
    const valids = validateLabelled(examples, 'examples');
    if (examples.length === 0)
      throw new InvalidOptionsError('examples', 'give at least one labelled transcript');
    const o = this.#o;
    const from = cutSources(
      examples.map((e) => e.label),
      o.memberPrefixCutShare,
      o.seed,
    );
    if (opts.groups !== undefined && !this.#combiner.learns) {
      throw new InvalidOptionsError(
        'groups',
        `${o.strategy} learns no combiner, so there are no folds to group: use stacking or cascade, or leave groups out`,
      );
    }
    // The examples and cuts members learn from, cut and validated once for the out-of-fold fits and the final one.
    const memberExamples = new MemberExamples(examples, o.memberPrefixCuts, from, copiesOf(examples, valids));
    // Every member call of the fit runs (one after another) inside this work, so dispose() waits for it whole:
    // no member is disposed between two of the fit's calls.
    const fitted = await this.#inflight.track(
      (async () => {
        const combiner = this.#combiner.learns
          ? await learnCombiner(
              this.#members,
              examples,
              valids,
              o,
              this.#combiner.prefixCuts,
              memberExamples,
              signal,
              what,
              opts.groups,
            )
          : undefined;
        const cut = memberExamples.select();
        for (const m of this.#members) {
          AbortedError.throwIfAborted(signal, what);
          await fitMember(m, cut, signal, what);
        }
        return combiner;
      })(),
      what,
    );
    this.#combiner.restore(fitted ? fitted.toState() : { combiner: null, combiners: null });
    this.#groupedFolds = fitted !== undefined && opts.groups !== undefined;
  }
  /**
   * Sets the threshold so that at most `fpr` of the humans in `examples` are labelled bot, as low as that
   * allows (so as many bots as possible are caught). Abstentions are left out and counted. Use examples the
   * ensemble was not fitted on.
   *
   * A cascade's scores depend on the threshold (it stops relative to it), so for `cascade` the threshold is
   * chosen on the scores with every member run, then the real cascade is run at that threshold and its
   * achieved rates are reported (and must meet the target).
   *
   * @param examples - labelled transcripts
   * @param options - `fpr` (e.g. 0.01) and an optional `signal`
   * @returns the threshold chosen and the FPR/TPR achieved on `examples`
   * @throws InvalidOptionsError when `fpr` is not in [0, 1) or a class is missing; BotlensError
   *   `CALIBRATION_UNMET` when no threshold meets the target (the threshold is then left unchanged)
   *
   * @example
   * ```ts
   * const c = await ensemble.calibrate(heldOut, { fpr: 0.01 });
   * console.log(c.threshold, c.fpr, c.tpr);
   * ```
   */
  async calibrate(
    examples: LabelledTranscript[],
    options: EnsembleCalibrateOptions,
  ): Promise<EnsembleCalibration> {
    const started = nowMs();
    const what = `Ensemble "${this.name}" calibrate()`;
    const { signal } = options;
    this.#checkUsable();
    AbortedError.throwIfAborted(signal, what);
    const valids = validateLabelled(examples, 'examples', this.#o.limits);
    this.#combiner.checkFitted(this.name);
    const full = await this.#run(valids, {
      signal,
      what,
      started,
      threshold: this.#threshold,
      stopEarly: false,
    });
    const staged = this.#combiner.stages().length > 1;
    const result = await chooseEnsembleThreshold(
      this.name,
      examples.map((e) => e.label),
      full,
      staged ? (t) => this.#run(valids, { signal, what, started, threshold: t, stopEarly: true }) : undefined,
      options.fpr,
    );
    this.#threshold = result.threshold;
    return result;
  }

  /**
   * The fitted state: strategy, threshold, weights, the combiner(s), and each member's own `toJSON()`
   * (members without one are saved as `{ kind: 'unserialized', version: 0, name }`, for the resolver).
   *
   * @example
   * ```ts
   * await writeFile('ensemble.json', JSON.stringify(ensemble.toJSON()));
   * ```
   */
  toJSON(): EnsembleState {
    return ensembleState(
      this.#o,
      this.#threshold,
      this.#combiner.toState(),
      this.#members,
      this.#groupedFolds,
    );
  }

  /**
   * Rebuilds an ensemble from {@link Ensemble.toJSON} output. Members are rebuilt by `resolve` (botlens's
   * detector registry, or your own function; it may be async), one after another in order; each must keep
   * its saved name.
   *
   * @param state - what `toJSON()` returned (typically parsed from a file)
   * @param options - the member resolver
   * @throws InvalidOptionsError when `state` is not valid ensemble state or a rebuilt member's name differs
   *
   * @example
   * ```ts
   * const state = JSON.parse(await readFile('ensemble.json', 'utf8'));
   * const ens = await Ensemble.fromJSON(state, { resolve: detectorFromState });
   * ```
   */
  static async fromJSON(state: unknown, options: EnsembleFromJsonOptions): Promise<Ensemble> {
    const { s, members, options: rebuilt } = await rebuildMembers(state, options);
    const e = new Ensemble(members, rebuilt);
    e.#combiner.restore({
      combiner: s.combiner,
      combiners: s.combiners,
      novelty: s.novelty ?? null,
      ...(s.trainingBotShare !== undefined && { trainingBotShare: s.trainingBotShare }),
    });
    e.#groupedFolds = s.groupedFolds === true;
    return e;
  }

  /**
   * Disposes every member (all are attempted even if one fails), once the member calls still running have
   * settled (a `detect()` that was cancelled rejects at once, while a member that ignores its signal runs on;
   * a `fit()` or a stream push under way): a member is not disposed under its own call. The wait is bounded by
   * `timeoutMs` (10 s by default): past it, the members are disposed anyway and `onWarning` is told which calls
   * were still running (they may then fail), so a member that never returns cannot hang the caller. Calling it
   * again does nothing.
   *
   * @param options - the bound on the wait and where its warning goes; see {@link EnsembleDisposeOptions}
   * @throws InvalidOptionsError for a bad `timeoutMs` (nothing is disposed then); BotlensError
   *   `DISPOSE_FAILED` when a member's `dispose()` rejected
   *
   * @example
   * ```ts
   * await ensemble.dispose({ timeoutMs: 2000 });
   * ```
   */
  async dispose(options: EnsembleDisposeOptions = {}): Promise<void> {
    refuseUnknownMethodOptions('dispose', options, this.name);
    if (this.#disposed) return;
    const timeoutMs = disposeTimeout(options.timeoutMs);
    this.#disposed = true;
    const running = await this.#inflight.settledWithin(timeoutMs);
    if (running.length > 0) {
      const calls = [...new Set(running)].join(', ');
      (options.onWarning ?? emitDisposeWarning)(
        `Ensemble "${this.name}" dispose(): ${running.length} call(s) still running after ${timeoutMs} ms (${calls}); disposed the members anyway, so those calls may fail. A member that ignores its signal or never returns holds them: fix it, or raise timeoutMs.`,
      );
    }
    const settled = await Promise.allSettled(this.#members.map(async (m) => m.dispose?.()));
    const failed = settled.flatMap((r, j) =>
      r.status === 'rejected' ? [{ name: this.#o.names[j]!, reason: r.reason as unknown }] : [],
    );
    if (failed.length > 0) {
      throw new BotlensError(
        'DISPOSE_FAILED',
        `Ensemble "${this.name}": ${failed.map((f) => `"${f.name}"`).join(', ')} failed to dispose.`,
        { cause: failed[0]!.reason },
      );
    }
  }

  #checkUsable(): void {
    if (this.#disposed) {
      throw new BotlensError(
        'DISPOSED',
        `Ensemble "${this.name}" was disposed: create a new one (its members were disposed too).`,
      );
    }
  }

  /**
   * Runs and combines the members on validated transcripts; see detect/detectBatch. The call returns at the
   * abort even when a member ignores its signal: the whole run is raced against the signal once (one abort
   * listener per call, none without a signal), not each member call. The members' work runs on, tracked (dispose()
   * waits for it) and observed; a later stage (cascade) is not started once the signal aborted.
   */
  #run(valids: readonly ValidTranscript[], run: RunSettings): Promise<EnsembleResult[]> {
    const bounded = run.memberDeadline;
    const member = (j: number, active: readonly number[]) => {
      // A later stage (cascade) that starts after dispose() began must not call a disposed member.
      this.#checkUsable();
      const name = this.#o.names[j]!;
      const work = this.#inflight.track(
        runMemberBatch(
          this.#members[j]!,
          active.map((i) => valids[i]!),
          run.signal,
          run.what,
        ),
        `member "${name}"`,
      );
      return bounded?.members.includes(name)
        ? withinMemberDeadline(work, active.length, name, bounded, run.started)
        : work;
    };
    return raceAbort(this.#combine(valids.map(transcriptSupport), member, run), run.signal, run.what);
  }

  /** Runs the strategy's stages with `runMember` supplying member outcomes, and builds the results. */
  async #combine(
    supports: readonly DetectionSupport[],
    runMember: Parameters<typeof runStages>[4],
    run: RunSettings,
  ): Promise<EnsembleResult[]> {
    const runs: StagedRun[] = await runStages(
      this.#combiner,
      supports.length,
      this.#members.length,
      supports,
      runMember,
      run,
    );
    const elapsedMs = (nowMs() - run.started) / Math.max(1, supports.length);
    return runs.map((r, i) => this.#result(r, supports[i]!, run.threshold, elapsedMs));
  }

  /** The result of one staged run (a stream's combination may be deferred). */
  #result(r: ResultRun, support: DetectionSupport, threshold: number, elapsedMs: number): EnsembleResult {
    return buildResult({
      ensemble: this.name,
      strategy: this.strategy,
      threshold,
      names: this.#o.names,
      weights: this.#o.weights,
      outcomes: r.outcomes,
      ran: r.ran,
      skipped: skippedMembers(r, this.#combiner),
      combination: r.combination,
      weighted: this.#combiner.weighted,
      margin: this.#o.margin,
      elapsedMs,
      support,
    });
  }
}

/** The longest `setTimeout` delay: a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** `EnsembleDisposeOptions.timeoutMs`, checked, with its default. */
function disposeTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return 10_000;
  if (timeoutMs === Number.POSITIVE_INFINITY || inRange(timeoutMs, { min: 0, max: MAX_TIMER_MS }))
    return timeoutMs;
  throw new InvalidOptionsError(
    'timeoutMs',
    `expected milliseconds from 0 to ${MAX_TIMER_MS}, or Infinity to wait as long as the calls take, got ${describeValue(timeoutMs)}`,
  );
}

/** The default `EnsembleDisposeOptions.onWarning`: a process warning with code `BOTLENS_DISPOSE_TIMEOUT`. */
function emitDisposeWarning(message: string): void {
  process.emitWarning(message, { code: 'BOTLENS_DISPOSE_TIMEOUT' });
}
