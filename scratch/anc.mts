import { loadOnnxModel } from '../src/onnx/onnx-model.ts';
import { GraphIndex } from '../src/onnx/optimize/graph-index.ts';
const m = await loadOnnxModel(process.argv[2]!); const ix = new GraphIndex(m.graph);
const sm = m.graph.node.find(n => n.op_type === 'Softmax')!; const add = ix.producer(sm.input[0])!;
const mm = add.input.find(v => ix.producer(v)?.op_type !== 'MatMul')!;
const seen = new Set<string>(); const ops: Record<string, number> = {}; const inputs = new Set<string>();
const stack = [mm];
while (stack.length) { const v = stack.pop()!; if (seen.has(v)) continue; seen.add(v); const p = ix.producer(v); if (!p) { if (m.graph.input.some(i => i.name === v)) inputs.add(v); continue; } ops[p.op_type!] = (ops[p.op_type!] ?? 0) + 1; if (p.op_type === 'Shape') continue; stack.push(...p.input.filter(Boolean)); }
console.log(ops, [...inputs]);
