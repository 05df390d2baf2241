import type { Detector, DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';

const BOT = [
  'Hello ! I like {i} too . What do you do ?',
  'That is great ! Tell me more .',
  'I am a teacher .',
];
const HUMAN = ['lol yeah {i} is fun, you?', 'haha ok', 'idk, maybe later'];

/**
 * `n` small chats for fitting a stacking ensemble, a third of them bots; the chats `swapped` picks write like the
 * other class, so scores stay away from 0 and 1 and the folds matter.
 *
 * @param n - how many chats
 * @param swapped - per chat index, whether it writes like the other class
 * @example
 * ```ts
 * const train = stackingChats(36, (i) => i % 7 === 3);
 * ```
 */
export function stackingChats(n: number, swapped: (i: number) => boolean): LabelledTranscript[] {
  return Array.from({ length: n }, (_, i) => {
    const label = i % 3 === 0 ? 'bot' : 'human';
    const lines = (label === 'bot') !== swapped(i) ? BOT : HUMAN;
    return {
      target: 'x',
      label,
      messages: lines.flatMap((t, k) => [
        { speaker: 'u', text: `question ${i}-${k}?` },
        { speaker: 'x', text: t.replace('{i}', String(i)) },
      ]),
    };
  });
}

/**
 * Unlabelled test chats: `rows` without their labels and with " ok" after every message, so they are not the
 * fitted texts.
 *
 * @param rows - labelled chats, e.g. from {@link stackingChats}
 */
export function unseenChats(rows: readonly LabelledTranscript[]): Transcript[] {
  return rows.map(({ label: _label, ...t }) => ({
    ...t,
    messages: t.messages.map((m) => ({ ...m, text: `${m.text} ok` })),
  }));
}

/** Fresh members for the tests' stacking ensembles: the heuristic and the hashing embedding. */
export const stackingMembers = (): Detector[] => [
  new HeuristicDetector(),
  new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() }),
];

/** Rebuilds a member of {@link stackingMembers} from its saved state (the resolver of `Ensemble.fromJSON`). */
export const resolveStackingMember = async (s: DetectorState): Promise<Detector> =>
  s.kind === 'embedding'
    ? EmbeddingCentroidDetector.fromJSON(s)
    : HeuristicDetector.fromJSON(s as Parameters<typeof HeuristicDetector.fromJSON>[0]);
