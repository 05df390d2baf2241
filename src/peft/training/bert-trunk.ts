import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeValue } from '../../core/describe-value.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { ModelLoadError } from '../../errors/model-load-error.js';
import {
  contentKey,
  copyModelMetadata,
  derivedModelFolder,
  localModelFolder,
} from '../../onnx/model-folder.js';
import { addGraphOutput } from '../../onnx/onnx-graph.js';
import { loadOnnxModel, saveOnnxModel } from '../../onnx/onnx-model.js';
import { findLinearSite } from '../../onnx/onnx-sites.js';
import type { ModelProto } from '../../onnx/onnx-types.js';
import { encodeTexts, modelMaxLength } from '../../runtime/encode-texts.js';
import { acquireModel, loadTransformers, type ModelHandle } from '../../runtime/load-model.js';
import type { ModelOptions } from '../../runtime/model-options.js';
import { runEncodedBatches } from '../../runtime/run-encoded.js';
import { type BertStructure, describeBert, layerModule, readTopLayer } from './bert-structure.js';
import type { ExampleFeatures, TopLayerWeights } from './top-layer-weights.js';

/** Options for {@link BertTrunk.open}. */
export interface BertTrunkOptions extends ModelOptions {
  /**
   * Most tokens per text (special tokens included); longer texts lose their end.
   * @defaultValue 128
   */
  maxLength?: number;
  /**
   * Texts per ONNX Runtime batch.
   * @defaultValue 32
   */
  batchSize?: number;
}

/** Progress of {@link BertTrunk.encode}: texts done so far. */
export interface EncodeProgress {
  /** Texts encoded. */
  done: number;
  /** Texts in all. */
  total: number;
}

const TRUNK_VERSION = 'trunk-v1';

function siteOutput(model: ModelProto, module: string): string {
  const site = findLinearSite(model.graph!, module);
  if (!site) throw new InvalidOptionsError('model', `the model has no Linear module "${module}"`);
  return site.bias?.node.output[0] ?? site.node.output[0]!;
}

/**
 * The frozen lower part of a BERT sequence classifier, run by ONNX Runtime: for each text it returns what the
 * top encoder layer needs (its input hidden states and the frozen key and value projections of every token),
 * which the trainer caches once per example. Built from the base model by exposing those intermediate values as
 * extra graph outputs (a derived model folder kept in the botlens cache) and loaded through the model runtime.
 *
 * @example
 * ```ts
 * const trunk = await BertTrunk.open({ model: 'models/tiny-bert-cls' });
 * const [f] = await trunk.encode(['hello there']);
 * f.tokens; // number of tokens, [CLS] and [SEP] included
 * await trunk.release();
 * ```
 */
export class BertTrunk {
  private constructor(
    /** The base model folder. */
    readonly folder: string,
    /** The base model's layout. */
    readonly structure: BertStructure,
    /** The layer whose input is captured (the top one). */
    readonly layer: number,
    /** Frozen weights of that layer, the pooler and the base classifier. */
    readonly weights: TopLayerWeights,
    /** The parsed config.json. */
    readonly config: Record<string, unknown>,
    private readonly handle: ModelHandle,
    private readonly outputs: { x: string; k: string; v: string },
    private readonly maxLength: number,
    private readonly batchSize: number,
  ) {}

  /**
   * Opens the trunk of a BERT-style sequence classifier (a folder or a hub id).
   *
   * @param options - the base model and encoding options
   * @throws ModelLoadError when the model cannot be loaded; InvalidOptionsError when it is not BERT-style
   */
  static async open(options: BertTrunkOptions): Promise<BertTrunk> {
    const { maxLength, batchSize, ...modelOptions } = options;
    if (!modelOptions.model)
      throw new InvalidOptionsError('model', 'give the base model (a folder or hub id)');
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 2)) {
      throw new InvalidOptionsError('maxLength', `expected an integer >= 2, got ${describeValue(maxLength)}`);
    }
    const folder = await localModelFolder('sequence-classification', {
      ...modelOptions,
      defaultModel: modelOptions.model,
    });
    const onnxPath = join(folder, 'onnx', 'model.onnx');
    const model = await loadOnnxModel(onnxPath);
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new ModelLoadError(
        folder,
        `Cannot read ${join(folder, 'config.json')}: a model folder needs its config.json.`,
        {
          file: join(folder, 'config.json'),
          cause,
        },
      );
    }
    const structure = describeBert(model, config);
    const layer = structure.layers - 1;
    const weights = readTopLayer(model, structure, layer, config);
    const q = findLinearSite(model.graph!, layerModule(structure, layer, 'attention.self.query'))!;
    const outputs = {
      x: q.node.input[0]!,
      k: siteOutput(model, layerModule(structure, layer, 'attention.self.key')),
      v: siteOutput(model, layerModule(structure, layer, 'attention.self.value')),
    };
    const key = await contentKey([{ file: onnxPath }, TRUNK_VERSION, JSON.stringify(outputs)]);
    const trunkFolder = await derivedModelFolder(
      'trunk',
      key,
      async (dir) => {
        for (const name of [outputs.x, outputs.k, outputs.v]) addGraphOutput(model.graph!, name);
        await copyModelMetadata(folder, dir);
        await saveOnnxModel(model, join(dir, 'onnx', 'model.onnx'));
      },
      modelOptions.cacheDir,
    );
    const handle = await acquireModel('feature-extraction', {
      ...modelOptions,
      model: trunkFolder,
      defaultModel: trunkFolder,
      dtype: 'fp32',
    });
    const ml = modelMaxLength(handle.tokenizer, handle.config, maxLength ?? 128);
    return new BertTrunk(folder, structure, layer, weights, config, handle, outputs, ml, batchSize ?? 32);
  }

  /** The token limit used. */
  get tokenLimit(): number {
    return this.maxLength;
  }

  /**
   * Runs the frozen layers on texts and returns each text's features for the top layer (unpadded).
   *
   * @param texts - the texts
   * @param opts - an abort signal (checked between batches) and a progress callback
   * @throws AbortedError when aborted
   */
  async encode(
    texts: readonly string[],
    opts: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void } = {},
  ): Promise<ExampleFeatures[]> {
    AbortedError.throwIfAborted(opts.signal, 'encoding');
    if (texts.length === 0) return [];
    const T = await loadTransformers();
    const h = this.handle;
    const rows = encodeTexts(h.tokenizer, texts, { maxLength: this.maxLength });
    const H = this.structure.hidden;
    let done = 0;
    return runEncodedBatches(
      T,
      h,
      rows,
      (out, feeds, idx) => {
        const get = (name: string) => {
          const t = out[name];
          if (!t || !(t.data instanceof Float32Array)) {
            throw new ModelLoadError(this.folder, `The trunk model did not return "${name}" as float32.`);
          }
          return t.data;
        };
        const [x, k, v] = [get(this.outputs.x), get(this.outputs.k), get(this.outputs.v)];
        const mask = feeds['attention_mask']!.data as BigInt64Array;
        const len = feeds['attention_mask']!.dims[1]!;
        const res = idx.map((_, b) => {
          const keep: number[] = [];
          for (let t = 0; t < len; t++) if (mask[b * len + t] !== 0n) keep.push(t);
          const pick = (src: Float32Array) => {
            const dst = new Float32Array(keep.length * H);
            keep.forEach((t, j) => {
              dst.set(src.subarray((b * len + t) * H, (b * len + t + 1) * H), j * H);
            });
            return dst;
          };
          return { tokens: keep.length, x: pick(x), k0: pick(k), v0: pick(v) };
        });
        done += idx.length;
        opts.onProgress?.({ done, total: texts.length });
        return res;
      },
      { batchSize: this.batchSize, signal: opts.signal, what: 'encoding' },
    );
  }

  /** Gives the model back. */
  async release(): Promise<void> {
    await this.handle.release();
  }
}
