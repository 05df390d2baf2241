import { withFieldsOnRead } from '../core/detection.js';
import type { DetectionSupport, Evidence } from '../core/detector.js';
import { BotlensError } from '../errors/botlens-error.js';
import { sigmoid } from '../numeric/logistic-regression.js';
import type { Combination, DeferredCombination } from './combination.js';
import { isMemberFailure } from './run-members.js';
import type { EnsembleResult, EnsembleStrategy, MemberOutcome } from './types.js';

/** Everything {@link buildResult} needs to assemble one `EnsembleResult`. */
export interface ResultParts {
  /** The ensemble's name. */
  ensemble: string;
  /** The strategy used. */
  strategy: EnsembleStrategy;
  /** The decision threshold. */
  threshold: number;
  /** Member names, in constructor order. */
  names: readonly string[];
  /** Weight per member (constructor order); shown for weighted means. */
  weights: readonly number[];
  /** Outcome per member (constructor order); `undefined` for members that did not run. */
  outcomes: readonly (MemberOutcome | undefined)[];
  /** Indices of the members that ran, in run order. */
  ran: readonly number[];
  /** Indices of the members a cascade skipped. */
  skipped: readonly number[];
  /** The combination of the members that ran, aligned with `ran` (its shares and notes may be deferred). */
  combination: Combination | DeferredCombination;
  /** Whether contributions are shares of a weighted mean (shows weights in sentences). */
  weighted: boolean;
  /** The cascade's margin, for the early-stop sentence. */
  margin: number;
  /** Wall time to report. */
  elapsedMs: number;
  /** The evidence the transcript holds, reported as the result's `support`. */
  support: DetectionSupport;
}

const p3 = (p: number): string => p.toFixed(3);
const signed = (z: number): string => `${z >= 0 ? '+' : '-'}${Math.abs(z).toFixed(2)}`;
const direction = (z: number): string =>
  Math.abs(z) < 0.005 ? 'neutral' : z > 0 ? 'toward bot' : 'toward human';
const sentence = (s: string): string => {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
};
const evidenceName = (member: string): string =>
  `member_${member.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()}`;

/** The most characters of a failed member's error its explanation line quotes (the whole is in `members`). */
const FAILURE_CHARS = 240;

/**
 * A failed member's error message on one line for its explanation sentence: the lines of a multi-line message
 * (an `InvalidTranscriptError`'s issues under "Invalid transcript:") joined with "; ", cut at
 * {@link FAILURE_CHARS} characters, so the line says what went wrong rather than just the message's heading.
 */
function oneLine(message: string): string {
  const one = message
    .trim()
    .replace(/:\s*\n\s*/g, ': ')
    .replace(/\s*\n\s*/g, '; ');
  if (one.length <= FAILURE_CHARS) return one;
  return `${one.slice(0, FAILURE_CHARS).trimEnd()}… (the whole message is in its members entry's error)`;
}

function abstainReason(o: MemberOutcome): string {
  if (isMemberFailure(o)) return '';
  const e = o.evidence.find((x) => x.name === 'abstained') ?? o.evidence[0];
  return e ? sentence(e.sentence) : 'It gave no reason.';
}

/**
 * Assembles an `EnsembleResult`: score and label from the combination, one evidence entry and one sentence
 * per member that ran, and a leading sentence with the conclusion.
 *
 * The score, label and member lists are set at once; `evidence` and `explanation` are written together when
 * either is first read (own, enumerable, assignable accessors, so JSON, spreads and structured clones see
 * them like any other property): a stream combines after every message and most callers read the score only.
 *
 * @throws BotlensError with code `ALL_MEMBERS_FAILED` when every member that ran threw: with nothing to
 *   combine and no member saying its input was missing, abstaining would hide a broken setup.
 *
 * @internal
 */
export function buildResult(p: ResultParts): EnsembleResult {
  const { names, outcomes, combination: c } = p;
  const ran = p.ran;
  const ranOutcomes: MemberOutcome[] = new Array(ran.length);
  const ranNames: string[] = new Array(ran.length);
  for (let k = 0; k < ran.length; k++) {
    ranOutcomes[k] = outcomes[ran[k]!]!;
    ranNames[k] = names[ran[k]!]!;
  }
  if (c.logOdds === null && ranOutcomes.length > 0 && ranOutcomes.every((o) => isMemberFailure(o))) {
    const list = ranOutcomes
      .map((o) => (isMemberFailure(o) ? `${o.detector}: ${o.error.name}: ${o.error.message}` : ''))
      .join('; ');
    throw new BotlensError(
      'ALL_MEMBERS_FAILED',
      `Every member of ensemble "${p.ensemble}" failed, so there is nothing to combine (${list}). Fix the members' errors.`,
    );
  }
  const score = c.logOdds === null ? null : Math.min(1, Math.max(0, sigmoid(c.logOdds)));
  const label = score === null ? null : score >= p.threshold ? 'bot' : 'human';
  const result = {
    detector: p.ensemble,
    elapsedMs: p.elapsedMs,
    strategy: p.strategy,
    threshold: p.threshold,
    members: ranOutcomes,
    ran: ranNames,
    skipped: p.skipped.map((j) => names[j]!),
    support: p.support,
    score,
    label,
  } as EnsembleResult;
  return withFieldsOnRead(result, RESULT_SENTENCES, () => writeExplanation(p, ranOutcomes, score));
}

const RESULT_SENTENCES = ['evidence', 'explanation'] as const;

/** The evidence entries and sentences of a result whose score is `score` (null: the ensemble abstains). */
function writeExplanation(
  p: ResultParts,
  ranOutcomes: readonly MemberOutcome[],
  score: number | null,
): { evidence: Evidence[]; explanation: string[] } {
  const { names } = p;
  const c = 'explain' in p.combination ? p.combination.explain() : p.combination;
  const evidence: Evidence[] = [];
  const lines: string[] = [];
  p.ran.forEach((j, k) => {
    const name = names[j]!;
    const o = ranOutcomes[k]!;
    const share = c.contributions[k] ?? null;
    let text: string;
    if (isMemberFailure(o)) {
      text = `"${name}" failed (${o.error.name}: ${oneLine(o.error.message)}) and was treated as missing`;
      if (share !== null && !p.weighted)
        text += `; the combiner's missing-score term moved the log-odds by ${signed(share)}`;
      text = sentence(text);
    } else if (o.score === null) {
      text = `"${name}" abstained: ${abstainReason(o)}`;
      text +=
        share !== null && !p.weighted
          ? ` The combiner's missing-score term moved the log-odds by ${signed(share)}.`
          : ' It was left out.';
    } else if (share === null) {
      text = `"${name}" gave P(bot) = ${p3(o.score)} but has weight 0, so it was left out.`;
    } else {
      const w = p.weighted ? `, weight ${p.weights[j]}` : '';
      text = `"${name}" gave P(bot) = ${p3(o.score)}${w}: ${signed(share)} log-odds (${direction(share)}).`;
    }
    lines.push(text);
    evidence.push({
      name: evidenceName(name),
      value: isMemberFailure(o) ? null : o.score,
      sentence: text,
      ...(share !== null ? { contribution: share } : {}),
    });
  });
  for (const j of p.skipped) {
    lines.push(`"${names[j]}" was skipped: the cascade was already confident.`);
  }

  if (score === null) {
    const summary =
      'No member produced a usable score (each abstained, failed, or has weight 0), so the ensemble abstains.';
    return {
      evidence: [{ name: 'abstained', value: null, sentence: summary }, ...evidence],
      explanation: [summary, ...lines],
    };
  }

  const isBot = score >= p.threshold;
  const head = `${isBot ? 'Bot' : 'Human'}: P(bot) = ${p3(score)} from ${c.method}, ${isBot ? 'at or above' : 'below'} the threshold ${p3(p.threshold)}.`;
  const extra: string[] = [];
  if (c.baseline !== 0) {
    extra.push(`The combiner's intercept adds ${signed(c.baseline)} log-odds.`);
    evidence.push({
      name: 'combiner_intercept',
      value: c.baseline,
      sentence: extra[0]!,
      contribution: c.baseline,
    });
  }
  for (const note of c.notes ?? []) {
    extra.push(note.sentence);
    evidence.push(note);
  }
  if (p.skipped.length > 0) {
    extra.push(
      `The cascade stopped after ${p.ran.length} of ${names.length} members: P(bot) was at least ${p.margin.toFixed(2)} log-odds from the threshold.`,
    );
  }
  return { evidence, explanation: [head, ...extra, ...lines] };
}
