import { loadOnnxModel, tensorToFloat32 } from '../src/onnx/onnx-model.ts';
const m = await loadOnnxModel(process.argv[2]!);
for (const t of m.graph.initializer) if (process.argv.slice(3).includes(t.name!)) console.log(t.name, t.dims, t.data_type, t.data_type===1? Array.from(tensorToFloat32(t)).slice(0,8): t.int64_data ?? t.raw_data);
for (const n of m.graph.node) if (n.op_type==='Constant') console.log('const node', n.output);
