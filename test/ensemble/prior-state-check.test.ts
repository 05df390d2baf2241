/**
 * A prior needs the training share the state records: one check and one message, whether the prior was saved in
 * the state or given at load.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../../src/core/detector.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { ROOT } from '../helpers/run-cli.js';

const resolve = (s: DetectorState) => HeuristicDetector.fromJSON(s);

/** What loading `state` throws. */
async function refusal(state: unknown, prior?: number): Promise<InvalidOptionsError> {
  try {
    await Ensemble.fromJSON(state, { resolve, ...(prior !== undefined && { prior }) });
  } catch (err) {
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    return err as InvalidOptionsError;
  }
  throw new Error('expected the state to be refused');
}

describe('ensemble state: a prior without the training share', () => {
  it('gives one message for a saved prior and a prior given at load, naming where the prior came from', async () => {
    const chats = await readTranscriptsJsonl(join(ROOT, 'test/quality/fixtures/chats.jsonl'));
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking', prior: 0.2 });
    await e.fit(chats);
    const { trainingBotShare: _share, ...state } = JSON.parse(JSON.stringify(e.toJSON()));
    const saved = await refusal(state);
    const { prior: _prior, ...old } = state;
    const atLoad = await refusal(old, 0.5);
    expect([saved.option, atLoad.option]).toEqual(['state', 'prior']);
    const reason = (err: InvalidOptionsError) => err.message.slice(err.message.indexOf(':') + 1).trim();
    expect(reason(saved)).toBe(reason(atLoad));
    expect(reason(saved)).toMatch(/no trainingBotShare .*: fit the ensemble again to use a prior$/);
    // A bad prior at load is named as such before the missing share is.
    expect((await refusal(old, 1)).message).toMatch(/"prior": got 1; use the share of bots/);
    // Without any prior the same state loads.
    expect((await Ensemble.fromJSON(old, { resolve })).toJSON().prior).toBeUndefined();
  });
});
