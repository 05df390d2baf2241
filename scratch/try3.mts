import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const a = await ort.InferenceSession.create(readFileSync(process.argv[2]!), {logSeverityLevel:3});
const b = await ort.InferenceSession.create(readFileSync('/tmp/opt.onnx'), {logSeverityLevel:3});
const B=2,S=8; const ids=new BigInt64Array(B*S), mask=new BigInt64Array(B*S).fill(1n), tt=new BigInt64Array(B*S);
for (let i=0;i<B*S;i++) ids[i]=BigInt(5+((i*7919+13)%(1000)));
for (let j=S/2;j<S;j++) mask[S+j]=0n;
const f={input_ids:new ort.Tensor('int64',ids,[B,S]),attention_mask:new ort.Tensor('int64',mask,[B,S]),token_type_ids:new ort.Tensor('int64',tt,[B,S])};
const x=(await a.run(f)).last_hidden_state!.data as Float32Array, y=(await b.run(f)).last_hidden_state!.data as Float32Array;
const H=x.length/(B*S);
for (let t=0;t<B*S;t++){ let d=0; for(let h=0;h<H;h++) d=Math.max(d,Math.abs(x[t*H+h]!-y[t*H+h]!)); console.log(t, mask[t], d.toExponential(2)); }
