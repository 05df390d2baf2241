import { loadOnnxModel, encodeOnnxModel } from '../src/onnx/onnx-model.ts';
import { fuseAttention } from '../src/onnx/optimize/fuse-attention.ts';
import { removeDeadNodes } from '../src/onnx/optimize/graph-index.ts';
import { ensureOpset, pruneGraph } from '../src/quant/graph-edit.ts';
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';
const path = process.argv[2]!; const heads = Number(process.argv[3]);
const m = await loadOnnxModel(path);
const before = m.graph.node.length;
const n = fuseAttention(m.graph, { numHeads: heads });
const dead = removeDeadNodes(m.graph); pruneGraph(m.graph);
ensureOpset(m, 'com.microsoft', 1);
console.log('fused', n, 'nodes', before, '->', m.graph.node.length, 'dead', dead);
const bytes = encodeOnnxModel(m);
writeFileSync('/tmp/opt.onnx', bytes);
const so = { intraOpNumThreads: 2, logSeverityLevel: 3 } as const;
const a = await ort.InferenceSession.create(readFileSync(path), so);
const b = await ort.InferenceSession.create(bytes, so);
const B = Number(process.argv[4] ?? 64), S = Number(process.argv[5] ?? 28);
const ids = new BigInt64Array(B*S), mask = new BigInt64Array(B*S), tt = new BigInt64Array(B*S);
for (let i=0;i<B;i++){ const len = S - (i*7)%Math.max(1,S-2); for (let j=0;j<S;j++){ ids[i*S+j]= j<len? BigInt(5+((i*31+j*17)%1400)) : 0n; mask[i*S+j]= j<len?1n:0n; } }
const feeds = { input_ids: new ort.Tensor('int64', ids, [B,S]), attention_mask: new ort.Tensor('int64', mask, [B,S]), token_type_ids: new ort.Tensor('int64', tt, [B,S]) };
const ra = await a.run(feeds), rb = await b.run(feeds);
const x = ra.last_hidden_state!.data as Float32Array, y = rb.last_hidden_state!.data as Float32Array;
let md = 0, mdv = 0; for (let i=0;i<x.length;i++){ const row = Math.floor(i/(S*x.length/(B*S))); const tok = Math.floor(i/(x.length/(B*S)))%S; const d=Math.abs(x[i]!-y[i]!); if (mask[row*S+tok]===1n) mdv=Math.max(mdv,d); md=Math.max(md,d);} 
console.log('max diff all', md, 'valid tokens', mdv);
for (const [name, s] of [['orig', a], ['fused', b], ['orig', a], ['fused', b]] as const) {
  const t0 = performance.now(); const R = 10; for (let r=0;r<R;r++) await s.run(feeds); const dt = (performance.now()-t0)/R;
  console.log(name, (B/dt*1000).toFixed(1), 'texts/s');
}
let ndiff=0; for (let i=0;i<x.length;i++) if (x[i]!==y[i]) ndiff++;
console.log('differing', ndiff, 'of', x.length, x.slice(0,3), y.slice(0,3));
const c: Record<string, number> = {}; for (const nd of m.graph.node) c[nd.op_type!] = (c[nd.op_type!]??0)+1; console.log(c);
