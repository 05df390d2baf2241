/**
 * Prefix cuts a stacking ensemble adds to its members' training examples (`memberPrefixCuts`) are marked, and the
 * embedding detector learns from them everywhere except its kNN vote's labelled set: detection cost and saved
 * state stay those of a fit on whole conversations.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isPrefixCut, markPrefixCut } from '../../src/core/training-marks.js';
import type { LabelledTranscript } from '../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { withPrefixCuts } from '../../src/ensemble/member-examples.js';
import { cutAfterTargetMessage } from '../../src/ensemble/prefix-cut.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';

const here = dirname(fileURLToPath(import.meta.url));
const chats = await readTranscriptsJsonl(join(here, '../quality/fixtures/chats.jsonl'));
const firstCuts = (rows: LabelledTranscript[]) => rows.map((r) => cutAfterTargetMessage(r, 1)!);
const embedding = () => new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });

describe('prefix-cut examples', () => {
  it('withPrefixCuts marks the cuts it adds, not the examples; a copy of a cut is unmarked', () => {
    const out = withPrefixCuts(chats.slice(0, 3), [1]);
    expect(out.map(isPrefixCut)).toEqual([false, false, false, true, true, true]);
    expect(isPrefixCut({ ...out[3]! })).toBe(false);
    // The mark adds nothing a reader or JSON could see.
    expect(JSON.stringify(out[3])).toBe(JSON.stringify(cutAfterTargetMessage(chats[0]!, 1)));
  });

  it('the embedding detector keeps marked cuts out of its labelled set but learns from them', async () => {
    const marked = embedding();
    await marked.fit([...firstCuts(chats).map(markPrefixCut), ...chats]);
    const m = marked.requireModel();
    expect(m.vectors).toHaveLength(chats.length);
    expect(m.labels).toHaveLength(chats.length);
    expect(m.training.examples).toBe(2 * chats.length);

    const unmarked = embedding();
    await unmarked.fit([...chats, ...firstCuts(chats)]);
    expect(unmarked.requireModel().vectors).toHaveLength(2 * chats.length);

    const whole = embedding();
    await whole.fit(chats);
    const w = whole.requireModel();
    // Same labelled set (whole conversations, in order) as a fit on whole conversations alone...
    expect(m.labels).toEqual(w.labels);
    // ...but the centroids and the probe moved with the cuts.
    expect(m.probe!.intercept).not.toBe(w.probe!.intercept);
    expect(Array.from(m.centroidBot)).not.toEqual(Array.from(w.centroidBot));
  });

  it('a stacking ensemble with memberPrefixCuts keeps the embedding member at one labelled example per chat', async () => {
    const e = new Ensemble([new HeuristicDetector(), embedding()], {
      strategy: 'stacking',
      folds: 3,
      memberPrefixCuts: [1, 2],
    });
    await e.fit(chats);
    const state = e.toJSON();
    const member = EmbeddingCentroidDetector.fromJSON(state.members[1]!);
    expect(member.requireModel().vectors).toHaveLength(chats.length);
  });
});
