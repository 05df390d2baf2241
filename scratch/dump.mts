import { loadOnnxModel } from '../src/onnx/onnx-model.ts';
const m = await loadOnnxModel(process.argv[2]!);
const g = m.graph!;
console.log('opsets', JSON.stringify(m.opset_import));
const counts: Record<string, number> = {};
for (const n of g.node!) { const k = (n.domain || '') + ':' + n.op_type; counts[k] = (counts[k] ?? 0) + 1; }
console.log(counts);
const lim = Number(process.argv[3] ?? 80);
for (const n of g.node!.slice(0, lim)) console.log(n.op_type, n.name, JSON.stringify(n.input), '->', JSON.stringify(n.output));
