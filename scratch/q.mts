import { quantize } from '../src/quant/quantize.ts';
for (const d of process.argv.slice(2)) { const r = await quantize(d, { bits: 8, overwrite: true }); console.log(d, r.files.map(f => [f.cosine, f.report.quantized.length, f.report.warnings, f.verifyNote])); }
