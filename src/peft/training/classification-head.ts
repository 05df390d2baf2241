import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { ModelLoadError } from '../../errors/model-load-error.js';
import { gaussianRandom, seededRandom } from '../../numeric/random.js';
import { contentKey, copyModelMetadata, derivedModelFolder } from '../../onnx/model-folder.js';
import { makeNode } from '../../onnx/onnx-build.js';
import { graphModulePaths, uniqueValueName } from '../../onnx/onnx-graph.js';
import { loadOnnxModel, saveOnnxModel } from '../../onnx/onnx-model.js';
import { findLinearSite } from '../../onnx/onnx-sites.js';
import { float32Tensor, rawTensor } from '../../onnx/onnx-tensor.js';
import { type ModelProto, TensorDataType } from '../../onnx/onnx-types.js';

/** The labels botlens gives a classification head it adds: index 0 human, index 1 bot. */
export const DEFAULT_HEAD_LABELS: readonly string[] = Object.freeze(['human', 'bot']);

const HEAD_VERSION = 'head-v1';

/** Normal(0, std) values from a seeded generator (Box-Muller), as Hugging Face initialises Linear weights. */
function normal(n: number, std: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, gaussianRandom(seededRandom(seed), std));
}

/** Whether a decoded model already ends in a `classifier` Linear. */
export function hasClassifier(model: ModelProto): boolean {
  return model.graph !== undefined && findLinearSite(model.graph, 'classifier') !== undefined;
}

/**
 * Turns a BERT encoder export (feature extraction: `last_hidden_state`) into a sequence classifier in the
 * BertForSequenceClassification layout, in place: the [CLS] vector goes through `<prefix>pooler.dense` + tanh
 * (added when the export has no pooler, initialised N(0, 0.02) with seed 0 as Hugging Face initialises it) and a
 * `classifier` Linear (N(0, 0.02), seed 1, zero bias) to `logits`. The initialisation is deterministic so
 * training and a later merge see the same head; LoRA training replaces the classifier anyway.
 *
 * @param model - the decoded encoder
 * @param labels - the class labels
 * @returns the module prefix found (`''` for a bare BertModel)
 * @throws InvalidOptionsError when the graph has no BERT encoder layers or no `last_hidden_state`
 */
export function addClassificationHead(model: ModelProto, labels: readonly string[]): string {
  const graph = model.graph!;
  let prefix: string | undefined;
  for (const m of graphModulePaths(graph)) {
    const hit = /^(.*?)encoder\.layer\.\d+\.attention\.self\.query$/.exec(m);
    if (hit) {
      prefix = hit[1]!;
      break;
    }
  }
  if (prefix === undefined) {
    throw new InvalidOptionsError(
      'model',
      'the ONNX graph names no BERT encoder layers: a classification head can only be added to a BERT-style encoder',
    );
  }
  const last = graph.output.find((o) => o.name === 'last_hidden_state') ?? graph.output[0];
  if (!last?.name) throw new InvalidOptionsError('model', 'the encoder has no last_hidden_state output');
  const q = findLinearSite(graph, `${prefix}encoder.layer.0.attention.self.query`)!;
  const H = q.outFeatures;
  const C = labels.length;
  const pool = findLinearSite(graph, `${prefix}pooler.dense`);
  let pooled: string;
  const nodePrefix = `/${prefix.split('.').filter(Boolean).join('/')}${prefix ? '/' : ''}`;
  if (pool) {
    const tanh = graph.node.find(
      (n) => n.op_type === 'Tanh' && n.input[0] === (pool.bias?.node.output[0] ?? pool.node.output[0]),
    );
    if (!tanh) throw new InvalidOptionsError('model', 'the export has a pooler but no tanh after it');
    pooled = tanh.output[0]!;
  } else {
    const idx = uniqueValueName(graph, 'botlens_cls_index');
    const cls = uniqueValueName(graph, 'botlens_cls');
    const pre = uniqueValueName(graph, 'botlens_pooler_pre');
    pooled = uniqueValueName(graph, 'botlens_pooled');
    const wName = uniqueValueName(graph, `${prefix}pooler.dense.weight`);
    const bName = uniqueValueName(graph, `${prefix}pooler.dense.bias`);
    graph.initializer.push(
      rawTensor(idx, [], TensorDataType.INT64, new Uint8Array(8)),
      float32Tensor(wName, [H, H], normal(H * H, 0.02, 0)),
      float32Tensor(bName, [H], new Float32Array(H)),
    );
    graph.node.push(
      makeNode('Gather', [last.name, idx], [cls], {
        name: `${nodePrefix}pooler/Gather`,
        attributes: { axis: 1 },
      }),
      makeNode('Gemm', [cls, wName, bName], [pre], {
        name: `${nodePrefix}pooler/dense/Gemm`,
        attributes: { transB: 1 },
      }),
      makeNode('Tanh', [pre], [pooled], { name: `${nodePrefix}pooler/activation/Tanh` }),
    );
  }
  const cw = uniqueValueName(graph, 'classifier.weight');
  const cb = uniqueValueName(graph, 'classifier.bias');
  graph.initializer.push(
    float32Tensor(cw, [C, H], normal(C * H, 0.02, 1)),
    float32Tensor(cb, [C], new Float32Array(C)),
  );
  const logits = uniqueValueName(graph, 'logits');
  graph.node.push(
    makeNode('Gemm', [pooled, cw, cb], [logits], { name: '/classifier/Gemm', attributes: { transB: 1 } }),
  );
  graph.output = [
    {
      name: logits,
      type: {
        tensor_type: {
          elem_type: TensorDataType.FLOAT,
          shape: { dim: [{ dim_param: 'batch_size' }, { dim_value: C }] },
        },
      },
      metadata_props: [],
    },
  ];
  return prefix;
}

/**
 * The folder of a sequence classifier for `folder`: the folder itself when its model already has a
 * `classifier`, else a derived folder (kept in the botlens cache) where {@link addClassificationHead} added a
 * head with `labels`, and `config.json` gained `id2label` / `label2id` and the BertForSequenceClassification
 * architecture.
 *
 * @param folder - a model folder in the transformers.js layout
 * @param options - labels (default human, bot) and the cache root
 * @returns the folder to use and whether a head was added
 */
export async function classifierBaseFolder(
  folder: string,
  options: { labels?: readonly string[]; cacheDir?: string } = {},
): Promise<{ folder: string; addedHead: boolean }> {
  const onnx = join(folder, 'onnx', 'model.onnx');
  const model = await loadOnnxModel(onnx);
  if (hasClassifier(model)) return { folder, addedHead: false };
  const labels = options.labels ?? DEFAULT_HEAD_LABELS;
  const key = await contentKey([{ file: onnx }, HEAD_VERSION, JSON.stringify(labels)]);
  const dir = await derivedModelFolder(
    'headed',
    key,
    async (out) => {
      addClassificationHead(model, labels);
      await copyModelMetadata(folder, out);
      let config: Record<string, unknown>;
      try {
        config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
      } catch (cause) {
        throw new ModelLoadError(folder, `Cannot read ${join(folder, 'config.json')}.`, {
          file: join(folder, 'config.json'),
          cause,
        });
      }
      config['architectures'] = ['BertForSequenceClassification'];
      config['id2label'] = Object.fromEntries(labels.map((l, i) => [String(i), l]));
      config['label2id'] = Object.fromEntries(labels.map((l, i) => [l, i]));
      await writeFile(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      await saveOnnxModel(model, join(out, 'onnx', 'model.onnx'));
    },
    options.cacheDir,
  );
  return { folder: dir, addedHead: true };
}
