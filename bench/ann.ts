/**
 * HNSW (hnswlib-node through botlens' HnswIndex) against exact search on 100k random 384-d vectors
 * (the size of e5-small / MiniLM embeddings), two seeded data sets measured in one run:
 * - clustered: 200 random centres, points = centre + Gaussian noise, normalized (like real embeddings);
 * - uniform: normalized Gaussian vectors, uniform on the sphere (the hardest case for any ANN index).
 *
 * For each: build time, memory (RSS growth over the build), then for 1000 held-out queries (k = 10) the mean
 * query time and recall@10 against ExactSearch, at several efSearch values (the default marked).
 *
 * Uniform data has no neighbourhood structure in 384 dimensions (every point is about as far from a query as
 * its true nearest neighbour), so no HNSW setting reaches high recall cheaply there, and building the graph
 * takes several times longer than on clustered data: it runs on 20k vectors by default to keep the whole
 * bench under about 3 minutes; pass a second size to run it on 100k too (about 5 more minutes).
 *
 *   npx tsx bench/ann.ts                  # clustered 100k, uniform 20k
 *   npx tsx bench/ann.ts 100000 100000    # both at 100k
 *   npx tsx bench/ann.ts 20000 5000       # a quick run
 */
import { ExactSearch } from '../src/ann/exact-search.js';
import { HNSW_DEFAULTS, HnswIndex } from '../src/ann/hnsw-index.js';
import { gaussianRandom, seededRandom } from '../src/numeric/random.js';

const SIZES = { clustered: Number(process.argv[2] ?? 100_000), uniform: Number(process.argv[3] ?? 20_000) };
const DIM = 384;
const QUERIES = 1000;
const K = 10;
const EF_LIST = {
  clustered: [16, 32, 48, 64, 96, 128, 200],
  uniform: [32, 64, 128, 400, 1600],
};

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const f = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= f;
  return v;
}

function makeData(kind: 'clustered' | 'uniform', n: number, seed: number): Float32Array[] {
  const g = gaussianRandom(seededRandom(seed));
  const centres: Float32Array[] = [];
  if (kind === 'clustered') {
    for (let c = 0; c < 200; c++) centres.push(normalize(Float32Array.from({ length: DIM }, g)));
  }
  const pick = seededRandom(seed ^ 0x9e3779b9);
  const out: Float32Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = Float32Array.from({ length: DIM }, g);
    if (kind === 'clustered') {
      const c = centres[Math.floor(pick() * centres.length)]!;
      // Noise of norm ~0.8 around a unit centre: neighbours are close but clusters still overlap in rank.
      for (let j = 0; j < DIM; j++) v[j] = c[j]! + (0.8 / Math.sqrt(DIM)) * v[j]!;
    }
    out[i] = normalize(v);
  }
  return out;
}

function rssMb(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

console.log(
  `node ${process.version}, ${process.platform}/${process.arch}; dim=${DIM}, ${QUERIES} queries, k=${K}`,
);
console.log(
  `HNSW M=${HNSW_DEFAULTS.m}, efConstruction=${HNSW_DEFAULTS.efConstruction}, default efSearch=${HNSW_DEFAULTS.efSearch}`,
);
for (const kind of ['clustered', 'uniform'] as const) {
  const N = SIZES[kind];
  const all = makeData(kind, N + QUERIES, kind === 'clustered' ? 1 : 2);
  const data = all.slice(0, N);
  const queries = all.slice(N);

  globalThis.gc?.();
  const rss0 = rssMb();
  let t0 = performance.now();
  const hnsw = await HnswIndex.create({ dim: DIM, capacity: N });
  hnsw.add(data);
  const buildS = (performance.now() - t0) / 1000;
  const rssDelta = rssMb() - rss0;

  const exact = new ExactSearch({ dim: DIM });
  exact.add(data);
  t0 = performance.now();
  const truthLists = queries.map((q) => exact.search(q, K));
  const truth = truthLists.map((l) => new Set(l.map((h) => h.id)));
  const exactMs = (performance.now() - t0) / QUERIES;

  console.log(
    `\n${kind} n=${N}: build ${buildS.toFixed(1)} s, RSS +${rssDelta.toFixed(0)} MB (data alone ${((N * DIM * 4) / 2 ** 20).toFixed(0)} MB as float32); exact search ${exactMs.toFixed(2)} ms/query`,
  );
  console.log('  efSearch   ms/query   recall@10   top-1 = exact');
  const efs = [...new Set([...EF_LIST[kind], HNSW_DEFAULTS.efSearch])].sort((a, b) => a - b);
  for (const ef of efs) {
    hnsw.efSearch = ef;
    for (let i = 0; i < 50; i++) hnsw.search(queries[i]!, K); // warm-up
    t0 = performance.now();
    const got = queries.map((q) => hnsw.search(q, K));
    const ms = (performance.now() - t0) / QUERIES;
    let hits = 0;
    let top1 = 0;
    got.forEach((res, i) => {
      for (const h of res) if (truth[i]!.has(h.id)) hits++;
      if (res[0] && truthLists[i]![0]?.id === res[0].id) top1++;
    });
    const mark = ef === HNSW_DEFAULTS.efSearch ? ' (default)' : '';
    console.log(
      `  ${String(ef).padStart(8)}   ${ms.toFixed(3).padStart(8)}   ${(hits / (QUERIES * K)).toFixed(4).padStart(9)}   ${(top1 / QUERIES).toFixed(3).padStart(13)}${mark}`,
    );
  }
  hnsw.dispose();
  exact.dispose();
}
