import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, renameSync } from 'node:fs';
const path = process.argv[2]!; const B = 64, S = 28;
const s = await ort.InferenceSession.create(readFileSync(path), { intraOpNumThreads: 2, logSeverityLevel: 3, enableProfiling: true, profileFilePrefix: '/tmp/prof_' + process.argv[3] });
const ids = new BigInt64Array(B*S), mask = new BigInt64Array(B*S), tt = new BigInt64Array(B*S);
for (let i=0;i<B;i++){ const len = S - (i*7)%Math.max(1,S-2); for (let j=0;j<S;j++){ ids[i*S+j]= j<len? BigInt(5+((i*31+j*17)%1400)) : 0n; mask[i*S+j]= j<len?1n:0n; } }
const feeds = { input_ids: new ort.Tensor('int64', ids, [B,S]), attention_mask: new ort.Tensor('int64', mask, [B,S]), token_type_ids: new ort.Tensor('int64', tt, [B,S]) };
for (let r=0;r<8;r++) await s.run(feeds);
s.endProfiling();
