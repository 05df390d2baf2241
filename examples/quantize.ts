/**
 * Quantizing a model folder to int8 (`dtype: 'q8'`) and 4-bit (`dtype: 'q4'`), loading the result, and running a
 * 4-bit base with an unmerged LoRA adapter ("int4 + LoRA").
 *
 *   npx tsx examples/quantize.ts
 *
 * Runs offline on copies of the tiny fixtures in ../shared, made in a temp folder (random weights: the numbers
 * show accuracy and plumbing, not a bot signal). For your own model: `botlens quantize models/my-model --bits 8`
 * writes `models/my-model/onnx/model_quantized.onnx` next to `model.onnx`.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TransformersEmbedder } from 'botlens/detectors';
import { attachLoraAdapter, quantize } from 'botlens/quant';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../../shared/fixtures/hf-tiny');
if (!existsSync(fixtures)) {
  console.error(`The tiny fixtures are not at ${fixtures} (they come with ../shared).`);
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'botlens-quantize-example-'));
try {
  // 1. Quantize a sentence encoder both ways. The fixture ships ONNX Runtime's own quantized files, hence overwrite.
  cpSync(join(fixtures, 'tiny-bert'), join(tmp, 'tiny-bert'), { recursive: true });
  for (const bits of [8, 4] as const) {
    const res = await quantize(join(tmp, 'tiny-bert'), { bits, overwrite: true });
    // 8-bit: 7-bit weights on x86-64 CPUs without VNNI (reduceRange: 'auto'), and why.
    if (res.reduceRange) console.log(`q8 weights: ${res.reduceRange.reason}`);
    for (const f of res.files) {
      console.log(
        `${res.dtype}: ${f.output?.split('/').pop()} ${f.report.quantized.length} layers, ` +
          `${(f.bytesIn / 1e3).toFixed(0)} KB -> ${(f.bytesOut / 1e3).toFixed(0)} KB, ` +
          `layer weights ${(f.report.bytesBefore / f.report.bytesAfter).toFixed(1)}x smaller, cosine to fp32 ${f.cosine?.toFixed(5)}`,
      );
    }
  }

  // 2. Load the quantized variants like any model: the same folder, another dtype.
  const texts = ['hi there! how are you doing today?', 'lol no way 😂 that is crazy'];
  const vectors: Record<string, Float32Array[]> = {};
  for (const dtype of ['fp32', 'q8', 'q4'] as const) {
    const embedder = new TransformersEmbedder({ model: 'tiny-bert', modelDir: tmp, dtype });
    vectors[dtype] = await embedder.embed(texts);
    await embedder.dispose();
  }
  for (const dtype of ['q8', 'q4']) {
    const cos = vectors[dtype]!.map((v, i) => v.reduce((s, x, j) => s + x * vectors.fp32![i]![j]!, 0));
    console.log(`${dtype} sentence embeddings vs fp32: cosine ${cos.map((c) => c.toFixed(5)).join(', ')}`);
  }

  // 3. int4 + LoRA: a 4-bit base with the adapter as float32 side branches (y = Wq x + s B A x).
  cpSync(join(fixtures, 'tiny-bert-cls'), join(tmp, 'tiny-bert-cls'), { recursive: true });
  await quantize(join(tmp, 'tiny-bert-cls'), { bits: 4 });
  const attached = await attachLoraAdapter({
    base: join(tmp, 'tiny-bert-cls'),
    adapter: join(fixtures, 'tiny-bert-cls-lora'),
    out: join(tmp, 'bots-q4'),
    dtype: 'q4',
  });
  console.log(
    `attached ${attached.branches.length} LoRA branches beside ${attached.branches[0]?.baseOp}; replaced ${attached.replaced.map((p) => p.parameter).join(', ')}`,
  );
  // The folder is a plain transformers.js model folder: load it with transformers.js itself.
  const { AutoModelForSequenceClassification, AutoTokenizer } = await import('@huggingface/transformers');
  const folder = join(tmp, 'bots-q4');
  const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const model = await AutoModelForSequenceClassification.from_pretrained(folder, {
    dtype: 'q4',
    local_files_only: true,
  });
  try {
    const golden = JSON.parse(readFileSync(join(fixtures, 'goldens.json'), 'utf8'))['tiny-bert-cls-lora'] as {
      texts: string[];
      merged_logits: number[][];
    };
    const out = (await model(tokenizer(golden.texts, { padding: true }))) as {
      logits: { data: Float32Array };
    };
    const merged = golden.merged_logits.flat();
    const maxDiff = Math.max(...Array.from(out.logits.data, (v, i) => Math.abs(v - merged[i]!)));
    console.log(
      `q4 base + LoRA branches vs the merged fp32 model (PyTorch): max |logit difference| ${maxDiff.toFixed(4)}`,
    );
  } finally {
    await model.dispose();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
