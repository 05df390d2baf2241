import { describeValue } from './describe-value.js';
import { evidenceWrittenOnRead } from './detection.js';

/**
 * What is wrong with a value returned as a `Detection`, as a clause for an error message ("its evidence is
 * undefined: ..."), or `undefined` when it keeps the contract: an object with `detector` (a string), `score`
 * (a number in [0, 1], or `null` to abstain), `label` (`'bot'` or `'human'`, `null` when abstaining), `evidence`
 * (an array of `{ name, value, sentence }`), `elapsedMs` (a finite number, at least 0) and, when present,
 * `support` (`{ targetMessages, targetCharacters }`, numbers at least 0). The one check of a detection made by
 * code botlens does not own (an ensemble's member): a broken one becomes an error instead of a crash or a wrong
 * score. Evidence written on first read (botlens's own detectors) is not written for this.
 *
 * @param d - what the detector returned
 * @example
 * ```ts
 * detectionProblem({ detector: 'x', score: 0.9, label: 'bot', elapsedMs: 1 });
 * // 'its evidence is undefined: evidence must be an array of { name, value, sentence } entries (return [] when there are none)'
 * ```
 * @internal
 */
export function detectionProblem(d: unknown): string | undefined {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    return `it is ${describeValue(d)}, not a Detection object`;
  }
  const r = d as Record<string, unknown>;
  if (typeof r.detector !== 'string') {
    return `its detector is ${describeValue(r.detector)}: detector must be the detector's name (a string)`;
  }
  const s = r.score;
  if (!(s === null || (typeof s === 'number' && s >= 0 && s <= 1))) {
    return `its score is ${describeValue(s)}: a score must be a number in [0, 1] or null (abstain)`;
  }
  if (s === null ? r.label !== null : r.label !== 'bot' && r.label !== 'human') {
    return `its label is ${describeValue(r.label)} with score ${describeValue(s)}: label must be 'bot' or 'human' when there is a score, null when the score is null`;
  }
  const evidence = evidenceWrittenOnRead(d) ? undefined : evidenceProblem(r.evidence);
  if (evidence !== undefined) return evidence;
  const ms = r.elapsedMs;
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
    return `its elapsedMs is ${describeValue(ms)}: elapsedMs must be the wall time spent, a finite number of milliseconds (at least 0)`;
  }
  return r.support === undefined ? undefined : supportProblem(r.support);
}

/** What is wrong with a detection's `evidence` (not written on read), or `undefined`. */
function evidenceProblem(evidence: unknown): string | undefined {
  const shape =
    'evidence must be an array of { name, value, sentence } entries (return [] when there are none)';
  if (!Array.isArray(evidence)) return `its evidence is ${describeValue(evidence)}: ${shape}`;
  for (let i = 0; i < evidence.length; i++) {
    const e = evidence[i] as { name?: unknown; sentence?: unknown } | null;
    if (typeof e !== 'object' || e === null) {
      return `its evidence[${i}] is ${describeValue(e)}: ${shape}`;
    }
    if (typeof e.name !== 'string') {
      return `its evidence[${i}].name is ${describeValue(e.name)}: each evidence entry needs a name (a string)`;
    }
    if (typeof e.sentence !== 'string') {
      return `its evidence[${i}].sentence is ${describeValue(e.sentence)}: each evidence entry needs a sentence (a string)`;
    }
  }
  return undefined;
}

/** True for a count: a finite number, at least 0. */
function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** What is wrong with a detection's `support`, or `undefined`. */
function supportProblem(support: unknown): string | undefined {
  const s = support as { targetMessages?: unknown; targetCharacters?: unknown } | null;
  if (typeof s === 'object' && s !== null && isCount(s.targetMessages) && isCount(s.targetCharacters)) {
    return undefined;
  }
  return `its support is ${describeValue(support)}: support, when given, must be { targetMessages, targetCharacters }, numbers at least 0 (or leave it out)`;
}
