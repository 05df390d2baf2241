import { scored, withEvidenceOnRead } from '../../core/detection.js';
import type { Detection, DetectionSupport, Evidence } from '../../core/detector.js';
import type { JsonValue } from '../../core/json.js';
import type { ValidTranscript } from '../../core/transcript.js';
import { targetMessages } from '../../core/validate.js';
import { decision, sigmoid } from '../../numeric/logistic-regression.js';
import { type Features, type FittedModel, featureVector } from './model.js';

/** Why the detector abstains on a transcript whose target sent only empty messages. @internal */
export const NO_TEXT = 'The target sent no text (only empty messages): there is nothing to embed.';

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/** How much of the target's text a verdict rests on: its messages and their characters. @internal */
export function supportOf(v: ValidTranscript): DetectionSupport {
  const mine = targetMessages(v);
  let chars = 0;
  for (const m of mine) chars += m.text.length;
  return { targetMessages: mine.length, targetCharacters: chars };
}

/**
 * The detection for one embedding's features: the calibrated score and evidence that names the centroid
 * similarities, the neighbours' vote and the probe, each with its contribution to the log-odds. The evidence
 * is written when first read (a stream scores after every target message; most callers read the score only).
 *
 * @internal
 */
export function embeddingDetection(
  name: string,
  threshold: number,
  m: FittedModel,
  f: Features,
  started: number,
): Detection {
  const x = featureVector(f, m.probe !== null);
  const z = decision(m.calibration, x);
  const d = scored(name, sigmoid(z), threshold, [], started);
  return withEvidenceOnRead(d, () => evidenceOf(m, f, x), { nearestSimilarity: meanSimilarity(f) });
}

/** The mean of the finite neighbour similarities (what `nearest_examples` lists), or null when none. */
function meanSimilarity(f: Features): number | null {
  let s = 0;
  let k = 0;
  for (const n of f.neighbours) {
    if (Number.isFinite(n.similarity)) {
      s += n.similarity;
      k++;
    }
  }
  return k === 0 ? null : s / k;
}

function evidenceOf(m: FittedModel, f: Features, x: number[]): Evidence[] {
  const w = m.calibration.weights;
  const bots = f.neighbours.filter((n) => m.labels[n.id] === 1).length;
  const evidence: Evidence[] = [
    {
      name: 'cos_bot_centroid',
      value: f.cosBot,
      sentence: `Cosine similarity to the bot centroid is ${fmt(f.cosBot)} (embeddings centered on the training mean).`,
    },
    {
      name: 'cos_human_centroid',
      value: f.cosHuman,
      sentence: `Cosine similarity to the human centroid is ${fmt(f.cosHuman)}.`,
    },
    {
      name: 'centroid_margin',
      value: x[0]!,
      sentence: `The text is ${x[0]! >= 0 ? 'closer to the bot' : 'closer to the human'} centroid (margin ${fmt(x[0]!)}).`,
      contribution: w[0]! * x[0]!,
    },
    {
      name: 'knn_bot_share',
      value: f.knnShare,
      sentence: `${bots} of the ${f.neighbours.length} nearest labelled examples are bots (similarity-weighted bot share ${fmt(f.knnShare)}).`,
      contribution: w[1]! * x[1]!,
    },
    {
      name: 'nearest_examples',
      value: f.neighbours.map(
        (n): JsonValue => ({ label: m.labels[n.id] === 1 ? 'bot' : 'human', similarity: n.similarity }),
      ),
      sentence: `Nearest labelled examples: ${f.neighbours
        .slice(0, 5)
        .map((n) => `${m.labels[n.id] === 1 ? 'bot' : 'human'} (${fmt(n.similarity)})`)
        .join(', ')}${f.neighbours.length > 5 ? ` and ${f.neighbours.length - 5} more` : ''}.`,
    },
  ];
  if (m.probe && f.probe !== null) {
    evidence.push({
      name: 'probe_logit',
      value: f.probe,
      sentence: `A linear probe on the embedding gives log-odds ${fmt(f.probe)} for bot.`,
      contribution: w[2]! * f.probe,
    });
  }
  return evidence;
}
