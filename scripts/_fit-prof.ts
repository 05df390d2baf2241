import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
const train = await readTranscriptsJsonl('/work/shared/data/convai-bots/train.jsonl');
for (let r = 0; r < 2; r++) {
  const e = new Ensemble([new HeuristicDetector(), new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() })], { strategy: 'stacking' });
  const t0 = performance.now();
  await e.fit(train as never);
  console.log('fit ms', (performance.now() - t0).toFixed(0));
}
