/**
 * The library's corpus scorers apply the rule the CLI and the service apply: an `{ ensemble }` that cannot score
 * until it is fitted is refused with a typed error before the corpus is read (or Redis reached). Before, such an
 * ensemble scored every record from the members that needed no fit, each record carrying a member error. A saved
 * detector of the same ensemble still scores.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { scoreCorpusOnQueue } from '../../src/corpus/queue/score-on-queue.js';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import type { EnsembleSpec } from '../../src/detectors/detector-spec.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { CHATS } from '../helpers/sourced-chats.js';
import { useWorkDir } from '../helpers/work-dir.js';
import { syntheticCorpus } from './corpus-fixture.js';

const work = useWorkDir('botlens-unfitted-corpus-');

const UNFITTED: EnsembleSpec = {
  strategy: 'weighted-mean',
  detectors: [{ type: 'heuristic' }, { type: 'partner-contrast' }],
};

async function collect(it: AsyncIterable<ScoreOutcome>): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** What iterating `it` threw. */
async function thrown(it: AsyncIterable<ScoreOutcome>): Promise<unknown> {
  return collect(it).then(
    () => undefined,
    (err: unknown) => err,
  );
}

function expectRefusal(err: unknown): void {
  expect(InvalidOptionsError.isInstance(err)).toBe(true);
  expect((err as InvalidOptionsError).option).toBe('detector.ensemble');
  expect((err as Error).message).toContain(
    'the ensemble cannot score until it is fitted on labelled data (detector "partner-contrast" has nothing to score with before it is fitted): fit it first (botlens fit --detectors heuristic,partner-contrast --strategy weighted-mean --data train.jsonl --out fitted.json) and pass { file: \'fitted.json\' } as the detector',
  );
}

describe('the corpus scorers refuse an ensemble that cannot score unfitted', () => {
  it('scoreCorpus, in this thread and on threads, before the corpus is read', async () => {
    // Before: every record scored by the heuristic alone, with a member error for partner-contrast.
    expectRefusal(
      await thrown(scoreCorpus(syntheticCorpus(3), { detector: { ensemble: UNFITTED }, threads: 0 })),
    );
    // A file that does not exist: a refusal after reading it would be about the file.
    const missing = work.path('missing.jsonl');
    expectRefusal(await thrown(scoreCorpus(missing, { detector: { ensemble: UNFITTED }, threads: 1 })));
  });

  it('scoreCorpusOnQueue, before Redis is reached', async () => {
    // Nothing listens on port 1: a refusal after connecting would never come.
    const err = await thrown(
      scoreCorpusOnQueue(syntheticCorpus(3), {
        redis: 'redis://127.0.0.1:1',
        detector: { ensemble: UNFITTED },
      }),
    );
    expectRefusal(err);
  });

  it('a saved detector of that ensemble scores with every member', async () => {
    const train = await readTranscriptsJsonl(CHATS);
    const ensemble = await createEnsemble(UNFITTED);
    await ensemble.fit(train);
    const file = work.path('fitted.json');
    await writeFile(file, JSON.stringify(ensemble.toJSON()));
    for (const detector of [{ file }, { state: ensemble.toJSON() }]) {
      const out = await collect(scoreCorpus(syntheticCorpus(3), { detector, threads: 0 }));
      expect(out).toHaveLength(3);
      for (const o of out) {
        if (!('record' in o)) throw new Error(`line ${o.line} should be scored`);
        expect(o.record.members.map((m) => [m.detector, typeof m.score])).toEqual([
          ['heuristic', 'number'],
          ['partner-contrast', 'number'],
        ]);
      }
    }
    await ensemble.dispose();
  }, 60_000);
});
