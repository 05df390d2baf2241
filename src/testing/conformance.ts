import { isDeepStrictEqual } from 'node:util';
import { describeValue } from '../core/describe-value.js';
import {
  DETECTOR_SPECIFICATION_VERSION,
  type Detection,
  type Detector,
  type DetectorState,
} from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { openStream } from '../core/stream.js';
import type { LabelledTranscript, Transcript } from '../core/transcript.js';
import { validateTranscript } from '../core/validate.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import { MALFORMED_TRANSCRIPTS } from './malformed-transcripts.js';

/**
 * Options for {@link runDetectorConformance}.
 *
 * @example
 * ```ts
 * const options: ConformanceOptions = {
 *   create: () => new MyDetector(),
 *   transcript: { target: 'b', messages: [{ speaker: 'a', text: 'hi' }, { speaker: 'b', text: 'Hello !' }] },
 * };
 * ```
 */
export interface ConformanceOptions {
  /** Makes a fresh, unfitted detector. Called more than once (for the determinism check). */
  create: () => Detector | Promise<Detector>;
  /** A valid transcript the detector can judge. */
  transcript: Transcript;
  /**
   * A valid transcript lacking the input the detector needs (no timestamps, no avatar...), on which it must
   * abstain. When omitted, the abstention check is skipped.
   * @defaultValue undefined
   */
  abstainTranscript?: Transcript;
  /**
   * Labelled transcripts to `fit()` every instance with before the checks (detectors without `fit` ignore it).
   * @defaultValue undefined (no fitting)
   */
  fitExamples?: LabelledTranscript[];
  /**
   * Rebuilds a detector from its `toJSON()` state; enables the round-trip check.
   * @defaultValue undefined (the state is only checked to be JSON)
   */
  fromJSON?: (state: DetectorState) => Detector | Promise<Detector>;
  /**
   * Extra malformed inputs that must be rejected with `InvalidTranscriptError`, on top of
   * {@link MALFORMED_TRANSCRIPTS}.
   * @defaultValue []
   */
  invalidTranscripts?: unknown[];
  /**
   * Largest score difference still counted as "the same" (determinism, batch and round-trip checks).
   * @defaultValue 1e-9
   */
  tolerance?: number;
  /**
   * Time each check may take before it fails as hung, in milliseconds.
   * @defaultValue 60000
   */
  timeoutMs?: number;
  /**
   * The grace period of the mid-call abort check, in milliseconds: a `detect()` whose signal aborts while it
   * runs must settle (resolve, or reject with `AbortedError`) within it. Raise it for a detector whose longest
   * uninterruptible step (one model run) takes longer.
   * @defaultValue 1000
   */
  abortGraceMs?: number;
}

/** One check of a conformance run. */
export interface ConformanceCheck {
  /** What was checked, e.g. `rejects malformed transcripts`. */
  name: string;
  /** Whether it passed (skipped checks count as passed). */
  ok: boolean;
  /** True when the check did not apply (e.g. no `fromJSON` given). */
  skipped: boolean;
  /** What was seen: the failure, the reason for skipping, or what passed. */
  message: string;
}

/** The outcome of {@link runDetectorConformance}. */
export interface ConformanceReport {
  /** The detector's name, or `?` when it could not be created. */
  detector: string;
  /** True when every check passed or was skipped. */
  passed: boolean;
  /** Every check, in the order run. */
  checks: ConformanceCheck[];
}

const describe = (err: unknown): string =>
  err instanceof Error || BotlensError.isInstance(err)
    ? `${(err as Error).name}: ${(err as Error).message}`
    : String(err);

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function sameScore(a: number | null, b: number | null, tol: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tol;
}

function shapeProblems(d: unknown, name: string): string[] {
  if (typeof d !== 'object' || d === null) return [`returned ${String(d)} instead of a Detection`];
  const r = d as Partial<Detection>;
  const out: string[] = [];
  if (r.detector !== name)
    out.push(`detector is ${describeValue(r.detector)}, expected its name ${JSON.stringify(name)}`);
  if (!(r.score === null || (typeof r.score === 'number' && r.score >= 0 && r.score <= 1))) {
    out.push(`score is ${String(r.score)}; expected P(bot) in [0, 1] or null`);
  }
  if (r.score === null && r.label !== null)
    out.push(`label is ${String(r.label)} while score is null; abstentions have label null`);
  if (typeof r.score === 'number' && r.label !== 'bot' && r.label !== 'human') {
    out.push(`label is ${String(r.label)}; a scored detection has label "bot" or "human"`);
  }
  if (!Array.isArray(r.evidence)) out.push('evidence is not an array');
  else if (!r.evidence.every((e) => typeof e?.name === 'string' && typeof e?.sentence === 'string')) {
    out.push('every evidence entry needs a string name and sentence');
  }
  if (typeof r.elapsedMs !== 'number' || !Number.isFinite(r.elapsedMs) || r.elapsedMs < 0) {
    out.push(`elapsedMs is ${String(r.elapsedMs)}; expected milliseconds >= 0`);
  }
  return out;
}

const CONFORMANCE_OPTION_KEYS: OptionKeys<ConformanceOptions> = {
  create: true,
  transcript: true,
  abstainTranscript: true,
  fitExamples: true,
  fromJSON: true,
  invalidTranscripts: true,
  tolerance: true,
  timeoutMs: true,
  abortGraceMs: true,
};

/**
 * Checks that a detector keeps the {@link Detector} contract. Framework-agnostic: it returns a report
 * (use {@link assertDetectorConformance} to throw instead), so it runs under vitest, jest, node:test or a
 * plain script. Checks, in order: it can be created (and fitted, when `fitExamples` are given); it returns a
 * well-formed detection for a valid transcript without modifying it; it abstains (score and label `null`,
 * evidence saying why) on `abstainTranscript`; it rejects every malformed transcript with
 * `InvalidTranscriptError`; it is deterministic (same instance twice, and a second instance fitted the same
 * way); `detectBatch` agrees with `detect`; `toJSON()` state survives JSON and `fromJSON` restores the same
 * scores; a pre-aborted signal rejects with `AbortedError`, and a `detect()` aborted mid-call settles within
 * `abortGraceMs`; its stream (its own `stream()`, else `openStream`'s) answers a well-formed detection at every
 * pushed message, the last one with `detect()`'s score; `dispose()` resolves, and resolves again.
 *
 * @param options - how to create the detector and what to feed it
 * @returns a report; `passed` is false when any check failed
 *
 * @example
 * ```ts
 * import { runDetectorConformance } from 'botlens/testing';
 * const report = await runDetectorConformance({ create: () => new MyDetector(), transcript });
 * for (const c of report.checks) console.log(c.ok ? 'ok  ' : 'FAIL', c.name, c.message);
 * ```
 */
export async function runDetectorConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  refuseUnknownKeys(
    options,
    CONFORMANCE_OPTION_KEYS,
    'the options of runDetectorConformance() and assertDetectorConformance()',
  );
  const tol = options.tolerance ?? 1e-9;
  const ms = options.timeoutMs ?? 60_000;
  const checks: ConformanceCheck[] = [];
  const pass = (name: string, message: string) => checks.push({ name, ok: true, skipped: false, message });
  const fail = (name: string, message: string) => checks.push({ name, ok: false, skipped: false, message });
  const skip = (name: string, message: string) => checks.push({ name, ok: true, skipped: true, message });
  const report = (detector: string): ConformanceReport => ({
    detector,
    passed: checks.every((c) => c.ok),
    checks,
  });
  const t = options.transcript;
  /**
   * One check that needs `value` (a detector method, an optional input): skipped saying `skipWhy` when it is
   * missing; else `body` runs with it and passes or fails the check itself, and a throw fails it.
   */
  async function guarded<V>(
    name: string,
    value: V | undefined,
    skipWhy: string,
    body: (value: V) => Promise<void>,
    onThrow: (err: unknown) => string = describe,
  ): Promise<void> {
    if (value === undefined) {
      skip(name, skipWhy);
      return;
    }
    try {
      await body(value);
    } catch (err) {
      fail(name, onThrow(err));
    }
  }

  async function make(): Promise<Detector> {
    const d = await withTimeout(Promise.resolve().then(options.create), ms, 'create()');
    if (typeof d !== 'object' || d === null || typeof d.detect !== 'function') {
      throw new Error(`create() returned ${String(d)}, not a Detector with detect()`);
    }
    if (typeof d.name !== 'string' || d.name === '')
      throw new Error('the detector has no name: name must be a non-empty string');
    if (options.fitExamples && d.fit) await withTimeout(d.fit(options.fitExamples), ms, 'fit()');
    return d;
  }

  // 1. create (and fit)
  let d: Detector;
  try {
    d = await make();
    pass(
      'creates',
      options.fitExamples && d.fit
        ? `created and fitted on ${options.fitExamples.length} examples`
        : 'created',
    );
  } catch (err) {
    fail('creates', describe(err));
    return report('?');
  }
  if (d.specificationVersion === undefined || d.specificationVersion === DETECTOR_SPECIFICATION_VERSION) {
    pass(
      'declares a supported contract version',
      `specificationVersion ${d.specificationVersion === undefined ? 'not set (read as "v1")' : `"${d.specificationVersion}"`}`,
    );
  } else {
    fail(
      'declares a supported contract version',
      `specificationVersion is ${describeValue(d.specificationVersion)}; this botlens implements "${DETECTOR_SPECIFICATION_VERSION}"`,
    );
  }
  const detect = (det: Detector, x: unknown, signal?: AbortSignal) =>
    withTimeout(det.detect(x as Transcript, signal ? { signal } : {}), ms, `detect()`);

  // 2. a valid transcript, not modified
  let first: Detection | undefined;
  {
    const before = structuredClone(t);
    try {
      first = await detect(d, t);
      const problems = shapeProblems(first, d.name);
      if (problems.length) fail('detects a valid transcript', problems.join('; '));
      else pass('detects a valid transcript', `score ${String(first.score)}, label ${String(first.label)}`);
    } catch (err) {
      fail('detects a valid transcript', describe(err));
    }
    if (isDeepStrictEqual(before, t))
      pass('leaves its input unmodified', 'the transcript is unchanged after detect()');
    else fail('leaves its input unmodified', 'detect() modified the transcript it was given');
  }

  // 3. abstains on missing input
  await guarded(
    'abstains on missing input',
    options.abstainTranscript,
    'no abstainTranscript given',
    async (abstain) => {
      const a = await detect(d, abstain);
      const problems = shapeProblems(a, d.name);
      if (a.score !== null)
        problems.push(`score is ${a.score}; expected null (abstain) when the needed input is missing`);
      if (a.label !== null) problems.push(`label is ${String(a.label)}; expected null`);
      if (
        !Array.isArray(a.evidence) ||
        !a.evidence.some((e) => typeof e?.sentence === 'string' && e.sentence.trim() !== '')
      ) {
        problems.push('no evidence sentence says why it abstained');
      }
      if (problems.length) fail('abstains on missing input', problems.join('; '));
      else pass('abstains on missing input', a.evidence[0]!.sentence);
    },
    (err) => `threw instead of abstaining: ${describe(err)}`,
  );

  // 4. rejects malformed input
  {
    const bad = [
      ...MALFORMED_TRANSCRIPTS,
      ...(options.invalidTranscripts ?? []).map((value, i) => ({ why: `invalidTranscripts[${i}]`, value })),
    ];
    const wrong: string[] = [];
    for (const b of bad) {
      try {
        await detect(d, b.value);
        wrong.push(`${b.why}: resolved instead of rejecting`);
      } catch (err) {
        if (!InvalidTranscriptError.isInstance(err)) wrong.push(`${b.why}: rejected with ${describe(err)}`);
      }
    }
    if (wrong.length)
      fail('rejects malformed transcripts', `expected InvalidTranscriptError for: ${wrong.join('; ')}`);
    else
      pass(
        'rejects malformed transcripts',
        `${bad.length} malformed inputs rejected with InvalidTranscriptError`,
      );
  }

  // 5. deterministic
  await guarded(
    'is deterministic',
    first,
    'skipped: the valid transcript could not be judged',
    async (firstResult) => {
      const again = await detect(d, t);
      let other: Detection | undefined;
      const d2 = await make();
      try {
        other = await detect(d2, t);
      } finally {
        await d2.dispose?.().catch(() => undefined);
      }
      const problems: string[] = [];
      if (!sameScore(firstResult.score, again.score, tol) || firstResult.label !== again.label) {
        problems.push(`same instance: ${String(firstResult.score)} then ${String(again.score)}`);
      }
      if (!sameScore(firstResult.score, other.score, tol) || firstResult.label !== other.label) {
        problems.push(
          `a second instance${options.fitExamples ? ' fitted the same way' : ''}: ${String(firstResult.score)} vs ${String(other.score)}`,
        );
      }
      if (problems.length) fail('is deterministic', `same input, different output: ${problems.join('; ')}`);
      else pass('is deterministic', 'same score and label twice, and from a second instance');
    },
  );

  // 6. detectBatch agrees with detect
  await guarded(
    'detectBatch matches detect',
    d.detectBatch?.bind(d),
    'no detectBatch',
    async (detectBatch) => {
      const inputs = [t, options.abstainTranscript ?? t, t];
      const batch = await withTimeout(detectBatch(inputs), ms, 'detectBatch()');
      if (!Array.isArray(batch) || batch.length !== inputs.length) {
        fail(
          'detectBatch matches detect',
          `returned ${Array.isArray(batch) ? batch.length : 'no'} results for ${inputs.length} transcripts`,
        );
      } else {
        const single: Detection[] = [];
        for (const x of inputs) single.push(await detect(d, x));
        const diff = batch.flatMap((b, i) =>
          sameScore(b?.score ?? null, single[i]!.score, tol)
            ? []
            : [`[${i}] ${String(b?.score)} vs ${String(single[i]!.score)}`],
        );
        if (diff.length)
          fail('detectBatch matches detect', `batch and single scores differ: ${diff.join('; ')}`);
        else pass('detectBatch matches detect', `${inputs.length} transcripts, same scores`);
      }
    },
  );

  // 7. fitted state round trip
  await guarded('round-trips fitted state', d.toJSON?.bind(d), 'no toJSON', async (toJSON) => {
    const state = toJSON();
    const problems: string[] = [];
    if (typeof state?.kind !== 'string' || state.kind === '')
      problems.push('state.kind must be a non-empty string');
    if (typeof state?.version !== 'number') problems.push('state.version must be a number');
    const parsed = JSON.parse(JSON.stringify(state)) as DetectorState;
    if (!isDeepStrictEqual(parsed, state))
      problems.push('state does not survive JSON.stringify/JSON.parse unchanged');
    if (problems.length) {
      fail('round-trips fitted state', problems.join('; '));
    } else if (!options.fromJSON) {
      skip(
        'round-trips fitted state',
        'state is valid JSON; no fromJSON given, so restoring was not checked',
      );
    } else {
      const restored = await withTimeout(
        Promise.resolve().then(() => options.fromJSON!(parsed)),
        ms,
        'fromJSON()',
      );
      try {
        const inputs = options.abstainTranscript ? [t, options.abstainTranscript] : [t];
        const diff: string[] = [];
        for (const x of inputs) {
          const [a, b] = [await detect(d, x), await detect(restored, x)];
          if (!sameScore(a.score, b.score, tol) || a.label !== b.label)
            diff.push(`${String(a.score)} before, ${String(b.score)} after`);
        }
        if (diff.length)
          fail('round-trips fitted state', `the restored detector scores differently: ${diff.join('; ')}`);
        else
          pass(
            'round-trips fitted state',
            `kind "${state.kind}" v${state.version}: same scores after toJSON/fromJSON`,
          );
      } finally {
        await restored.dispose?.().catch(() => undefined);
      }
    }
  });

  // 8. abort
  {
    const ac = new AbortController();
    ac.abort(new Error('conformance: pre-aborted'));
    const wrong: string[] = [];
    const tryAbort = async (label: string, work: () => Promise<unknown>) => {
      try {
        await withTimeout(work(), ms, label);
        wrong.push(`${label} resolved`);
      } catch (err) {
        if (!AbortedError.isInstance(err)) wrong.push(`${label} rejected with ${describe(err)}`);
      }
    };
    await tryAbort('detect()', () => d.detect(t, { signal: ac.signal }));
    if (d.detectBatch) await tryAbort('detectBatch()', () => d.detectBatch!([t, t], { signal: ac.signal }));
    if (wrong.length)
      fail('honours abort', `with a pre-aborted signal, expected AbortedError: ${wrong.join('; ')}`);
    else pass('honours abort', 'a pre-aborted signal rejects with AbortedError');
  }

  // 8b. abort mid-call
  {
    const name = 'honours an abort mid-call';
    const grace = options.abortGraceMs ?? 1000;
    const ac = new AbortController();
    const started = performance.now();
    let call: Promise<unknown>;
    try {
      call = Promise.resolve(d.detect(t, { signal: ac.signal }));
    } catch (err) {
      call = Promise.reject(err);
    }
    ac.abort(new Error('conformance: aborted mid-call'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), grace);
    });
    const settled = call.then(
      () => 'resolved' as const,
      (err: unknown) => (AbortedError.isInstance(err) ? ('aborted' as const) : err),
    );
    const outcome = await Promise.race([settled, late]).finally(() => clearTimeout(timer));
    if (outcome === 'late') {
      fail(
        name,
        `detect() had not settled ${grace} ms (the grace period, abortGraceMs) after its signal aborted mid-call: check signal.aborted between steps and reject with AbortedError`,
      );
      // Let the call finish (bounded) before the next checks dispose the detector under it.
      await withTimeout(settled, ms, 'the aborted detect()').catch(() => undefined);
    } else if (outcome === 'resolved' || outcome === 'aborted') {
      const took = Math.round(performance.now() - started);
      pass(
        name,
        `aborted while running, detect() ${outcome === 'aborted' ? 'rejected with AbortedError' : 'resolved'} after ${took} ms (grace ${grace} ms)`,
      );
    } else {
      fail(
        name,
        `aborted while running, detect() rejected with ${describe(outcome)} instead of AbortedError`,
      );
    }
  }

  // 8c. stream
  await guarded('streams', first, 'skipped: the valid transcript could not be judged', async (whole) => {
    const own = typeof d.stream === 'function';
    const v = validateTranscript(t);
    const stream = openStream(d, {
      target: v.target,
      ...(v.profile !== undefined && { profile: v.profile }),
    });
    let last: Detection | undefined;
    for (let i = 0; i < v.messages.length; i++) {
      last = await withTimeout(stream.push(v.messages[i]!), ms, `stream push of messages[${i}]`);
      const problems = shapeProblems(last, d.name);
      if (problems.length) {
        fail('streams', `push of messages[${i}] answered a bad detection: ${problems.join('; ')}`);
        return;
      }
    }
    const problems: string[] = [];
    if (stream.detection() !== last) problems.push('detection() is not the last push’s detection');
    const endsWithTarget = v.messages[v.messages.length - 1]?.speaker === v.target;
    if (endsWithTarget && last && !sameScore(last.score, whole.score, tol))
      problems.push(
        `the last push scored ${String(last.score)}, detect() on the whole transcript ${String(whole.score)}`,
      );
    if (problems.length) fail('streams', problems.join('; '));
    else
      pass(
        'streams',
        `${own ? 'its stream()' : 'openStream (no stream() of its own)'}: ${v.messages.length} pushes, each a well-formed detection${endsWithTarget ? ', the last one detect()’s score' : ''}`,
      );
  });

  // 9. dispose
  await guarded('disposes cleanly', d.dispose?.bind(d), 'no dispose', async (dispose) => {
    await withTimeout(dispose(), ms, 'dispose()');
    try {
      await withTimeout(dispose(), ms, 'second dispose()');
      pass('disposes cleanly', 'dispose() resolved twice');
    } catch (err) {
      fail('disposes cleanly', `a second dispose() threw: ${describe(err)}`);
    }
  });
  return report(d.name);
}

/**
 * Runs {@link runDetectorConformance} and throws when any check fails, listing every failure. Use it as a
 * one-line test in any framework.
 *
 * @param options - see {@link ConformanceOptions}
 * @returns the report, when everything passed
 * @throws BotlensError with code `CONFORMANCE_FAILED` listing the failed checks
 *
 * @example
 * ```ts
 * import { assertDetectorConformance } from 'botlens/testing';
 * it('keeps the detector contract', () => assertDetectorConformance({ create: () => new MyDetector(), transcript }));
 * ```
 */
export async function assertDetectorConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const r = await runDetectorConformance(options);
  if (!r.passed) {
    const failures = r.checks.filter((c) => !c.ok);
    throw new BotlensError(
      'CONFORMANCE_FAILED',
      `Detector "${r.detector}" failed ${failures.length} conformance check(s):\n${failures.map((c) => `  - ${c.name}: ${c.message}`).join('\n')}`,
    );
  }
  return r;
}
