/**
 * Writes test/fixtures/service-answers.json: what a built release of the service answered to the requests of
 * test/helpers/service-answers.ts (a SHA-256 digest of each status and body, `elapsedMs` masked), and a digest
 * of the evidence the library gave (the heuristic detector's, and the heuristic ensemble's evidence and
 * explanation), so test/server/answer-golden.test.ts can hold later code to the same bytes without that
 * release. Run once, against the starting checkout, built (by default /work/base15, commit a0401cf):
 *
 *   BOTLENS_BASE_DIR=/work/base15 npx tsx scripts/service-answer-fixture.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { maskElapsed } from '../bench/lib/compare-answers.js';
import type { Transcript } from '../src/core/transcript.js';
import { exactText, goldenLibraryCases, goldenRequests, sha256 } from '../test/helpers/service-answers.js';

const base = resolve(process.env['BOTLENS_BASE_DIR'] ?? '/work/base15');
type Lib = typeof import('../src/index.js');
type Srv = typeof import('../src/server/index.js');
const lib = (await import(join(base, 'dist/index.js'))) as Lib;
const srv = (await import(join(base, 'dist/server/index.js'))) as Srv;

const server = await srv.createServer(
  new lib.Ensemble([new lib.HeuristicDetector()], { strategy: 'weighted-mean' }),
);
await server.ready;
const answers: { url: string; status: number; bytes: number; sha256: string }[] = [];
for (const r of goldenRequests()) {
  const res = await server.app.inject({
    method: 'POST',
    url: r.url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(r.body),
  });
  const text = `${res.statusCode} ${maskElapsed(res.body)}`;
  answers.push({ url: r.url, status: res.statusCode, bytes: text.length, sha256: sha256(text) });
}
await server.app.close();

const library: { heuristic: string; ensemble: string }[] = [];
for (const c of goldenLibraryCases()) {
  const t = c.transcript as Transcript;
  const h = await new lib.HeuristicDetector(c.options).detect(t);
  const e = (await new lib.Ensemble([new lib.HeuristicDetector(c.options)], {
    strategy: 'weighted-mean',
  }).detect(t)) as { evidence: unknown; explanation: unknown; members: unknown };
  library.push({
    heuristic: sha256(exactText(h.evidence)),
    ensemble: sha256(exactText({ evidence: e.evidence, explanation: e.explanation, members: e.members })),
  });
}

const commit = execFileSync('git', ['-C', base, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const out = resolve(import.meta.dirname, '../test/fixtures/service-answers.json');
writeFileSync(out, `${JSON.stringify({ commit, answers, library }, null, 1)}\n`);
console.log(`wrote ${out}: ${answers.length} answers, ${library.length} library cases`);
