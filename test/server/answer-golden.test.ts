import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskElapsed } from '../../bench/lib/compare-answers.js';
import type { Transcript } from '../../src/core/transcript.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { createServer } from '../../src/server/app.js';
import { exactText, goldenLibraryCases, goldenRequests, sha256 } from '../helpers/service-answers.js';

/**
 * What the service and the library gave at commit a0401cf (scripts/service-answer-fixture.ts wrote the digests from
 * that built checkout): cheaper evidence and answers must still be the same bytes.
 */
interface Golden {
  commit: string;
  answers: { url: string; status: number; bytes: number; sha256: string }[];
  library: { heuristic: string; ensemble: string }[];
}
const golden = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../fixtures/service-answers.json'), 'utf8'),
) as Golden;

const heuristicEnsemble = (options: Record<string, number> = {}) =>
  new Ensemble([new HeuristicDetector(options)], { strategy: 'weighted-mean' });

describe('the service answers as release a0401cf did', () => {
  it('byte for byte (elapsedMs aside), for single detections, timelines and a batch', async () => {
    const requests = goldenRequests();
    expect(requests.length).toBe(golden.answers.length);
    const server = await createServer(heuristicEnsemble());
    try {
      await server.ready;
      for (const [k, r] of requests.entries()) {
        const res = await server.app.inject({
          method: 'POST',
          url: r.url,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(r.body),
        });
        const want = golden.answers[k]!;
        const text = `${res.statusCode} ${maskElapsed(res.body)}`;
        const what = `request ${k} (${r.url}): ${res.body.slice(0, 300)}`;
        expect(res.statusCode, what).toBe(want.status);
        expect(text.length, what).toBe(want.bytes);
        expect(sha256(text), what).toBe(want.sha256);
      }
    } finally {
      await server.app.close();
    }
  });
});

describe('the library gives the evidence release a0401cf gave', () => {
  it('the heuristic detector’s and the ensemble’s, entry for entry (-0 and undefined told apart)', async () => {
    const cases = goldenLibraryCases();
    expect(cases.length).toBe(golden.library.length);
    for (const [k, c] of cases.entries()) {
      const t = c.transcript as Transcript;
      const h = await new HeuristicDetector(c.options).detect(t);
      const e = (await heuristicEnsemble(c.options).detect(t)) as EnsembleResult;
      const want = golden.library[k]!;
      expect(sha256(exactText(h.evidence)), `case ${k}: ${exactText(h.evidence).slice(0, 300)}`).toBe(
        want.heuristic,
      );
      const ensemble = { evidence: e.evidence, explanation: e.explanation, members: e.members };
      expect(sha256(exactText(ensemble)), `case ${k} (ensemble)`).toBe(want.ensemble);
    }
  });
});
