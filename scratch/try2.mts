import { loadOnnxModel, encodeOnnxModel } from '../src/onnx/onnx-model.ts';
import { optimizeOnnxModel } from '../src/onnx/optimize/optimize-model.ts';
import { compareModels, syntheticInputs } from '../src/quant/verify.ts';
import { writeFileSync } from 'node:fs';
const path = process.argv[2]!; const heads = Number(process.argv[3]);
const passes = (process.argv[4] ?? 'attention,skip-layer-norm,bias-gelu').split(',') as any;
const m = await loadOnnxModel(path);
const feeds = syntheticInputs(m.graph)!;
const mask = feeds['attention_mask']; if (mask) { const [B,S] = mask.dims; for (let j=S!/2;j<S!;j++) (mask.data as BigInt64Array)[S!+j] = 0n; }
const r = optimizeOnnxModel(m, { numHeads: heads, passes });
console.log(r);
const bytes = encodeOnnxModel(m); writeFileSync('/tmp/opt.onnx', bytes);
console.log(await compareModels(path, bytes, { feeds }));
