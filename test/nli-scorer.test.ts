import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { encodeTexts } from '../src/runtime/encode-texts.js';
import { acquireModel } from '../src/runtime/load-model.js';
import { entailmentProbability, NliScorer, nliLabelIndices } from '../src/runtime/nli-scorer.js';
import { describeWithShared, HAS_SHARED, HF_TINY } from './helpers/shared.js';

interface NliGolden {
  premises: string[];
  hypothesis: string;
  input_ids: number[][];
  token_type_ids?: number[][];
  logits: number[][];
  entailment_vs_contradiction_prob: number[];
}

describe('NLI label indices (no model needed)', () => {
  it('reads entailment and contradiction from id2label, case-insensitively', () => {
    expect(
      nliLabelIndices({ id2label: { 0: 'ENTAILMENT', 1: 'NEUTRAL', 2: 'CONTRADICTION' } }, 'm'),
    ).toMatchObject({
      entailment: 0,
      contradiction: 2,
    });
    expect(nliLabelIndices({ label2id: { entailment: 1, not_entailment: 0 } }, 'm')).toMatchObject({
      entailment: 1,
      contradiction: 0,
    });
  });

  it('throws ModelLoadError for a model without an entailment label', () => {
    expect(() => nliLabelIndices({ id2label: { 0: 'human', 1: 'bot' } }, 'cls')).toThrow(
      /not an NLI model.*"human", "bot"/,
    );
  });

  it('takes the softmax over contradiction and entailment only', () => {
    expect(entailmentProbability([0, 5, 1], { entailment: 2, contradiction: 0 })).toBeCloseTo(
      1 / (1 + Math.exp(-1)),
      10,
    );
  });
});

const goldens = HAS_SHARED
  ? (JSON.parse(readFileSync(join(HF_TINY, 'goldens.json'), 'utf8')) as Record<string, NliGolden>)
  : {};

describeWithShared('NliScorer on the tiny NLI models', () => {
  const made: NliScorer[] = [];
  afterAll(async () => {
    for (const s of made) await s.dispose();
  });

  for (const name of ['tiny-bert-nli', 'tiny-bart-nli']) {
    describe(name, () => {
      const folder = join(HF_TINY, name);
      const g = goldens[name]!;

      it('tokenizes pairs to the golden ids', async () => {
        const h = await acquireModel('sequence-classification', { model: folder, defaultModel: 'x/y' });
        try {
          const rows = encodeTexts(h.tokenizer, g.premises, {
            maxLength: 512,
            pairs: g.premises.map(() => g.hypothesis),
          });
          const pad = name === 'tiny-bart-nli' ? 1 : 0;
          rows.forEach((r, i) => {
            const n = r.input_ids.length;
            expect(r.input_ids).toEqual(g.input_ids[i]!.slice(0, n));
            expect(g.input_ids[i]!.slice(n).every((x) => x === pad)).toBe(true);
            if (g.token_type_ids) expect(r.token_type_ids).toEqual(g.token_type_ids[i]!.slice(0, n));
          });
        } finally {
          await h.release();
        }
      });

      it('gives the golden logits and entailment probabilities (1e-4) in any batch size', async () => {
        for (const batchSize of [1, 3, 8]) {
          const s = new NliScorer({ model: folder, batchSize });
          made.push(s);
          const logits = await s.logits(g.premises, g.hypothesis);
          logits.forEach((row, i) => {
            row.forEach((x, j) => {
              expect(Math.abs(x - g.logits[i]![j]!)).toBeLessThan(1e-4);
            });
          });
          const p = await s.entailmentProbabilities(g.premises, g.hypothesis);
          p.forEach((x, i) => {
            expect(Math.abs(x - g.entailment_vs_contradiction_prob[i]!)).toBeLessThan(1e-4);
          });
        }
      });

      it('reads labels and length limit from the config, and scores a premise longer than the model takes', async () => {
        const s = new NliScorer({ model: folder, maxLength: 64 });
        made.push(s);
        const info = await s.info();
        expect(info).toMatchObject({ entailment: 2, contradiction: 0, maxLength: 64 });
        const long = `${g.premises[1]} `.repeat(30);
        const [row] = await s.logits([long], g.hypothesis);
        expect(row).toHaveLength(3);
        // Only the premise's end is cut: text appended to an over-long premise changes nothing...
        const [same] = await s.logits([`${long} and something else at the very end`], g.hypothesis);
        expect(same).toEqual(row);
        // ...while the hypothesis is always read whole.
        const [other] = await s.logits([long], 'This speaker is a bot.');
        expect(other).not.toEqual(row);
        const overhead = await s.pairOverhead(g.hypothesis);
        expect(overhead).toBeGreaterThan((await s.countTokens([g.hypothesis]))[0]!);
      });
    });
  }

  it('refuses a classifier that is not an NLI model', async () => {
    const s = new NliScorer({ model: join(HF_TINY, 'tiny-bert-cls') });
    made.push(s);
    await expect(s.entailmentProbabilities(['hi'], 'This speaker is human.')).rejects.toSatisfy(
      (e) => ModelLoadError.isInstance(e) && /not an NLI model/.test((e as Error).message),
    );
  });
});
