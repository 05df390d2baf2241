import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '../../core/json.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { encodeSafetensors, type TensorToWrite } from '../adapter/safetensors.js';
import type { BertStructure } from './bert-structure.js';
import { layerModule } from './bert-structure.js';
import type { TrainableParams } from './top-layer-weights.js';

/** A LoRA adapter in PEFT's format, in memory: `adapter_config.json` and the tensors of `adapter_model.safetensors`. */
export interface LoraAdapterFiles {
  /** The content of `adapter_config.json`. */
  config: JsonObject;
  /** Tensors by PEFT name (`base_model.model.<module>.lora_A.weight`...). */
  tensors: Record<
    string,
    {
      /** The shape. */
      shape: number[];
      /** The values, row-major. */
      data: Float32Array;
    }
  >;
}

/**
 * Builds the PEFT files for LoRA trained on the top encoder layer: `target_modules` lists the projections and
 * `layers_to_transform` / `layers_pattern` restrict them to that layer, as `LoraConfig(target_modules=[...],
 * layers_to_transform=[L], layers_pattern="layer")` would; the classifier is a module to save.
 *
 * @param structure - the base model's layout
 * @param layer - the trained layer
 * @param params - the trained parameters
 * @param options - base model name and LoRA alpha, recorded in the config
 */
export function loraAdapterFiles(
  structure: BertStructure,
  layer: number,
  params: TrainableParams,
  options: { baseModel: string; alpha: number },
): LoraAdapterFiles {
  const targets = (['query', 'key', 'value'] as const).filter((t) => params.A[t]);
  const tensors: LoraAdapterFiles['tensors'] = {};
  const H = structure.hidden;
  const r = params.r;
  for (const t of targets) {
    const m = `base_model.model.${layerModule(structure, layer, `attention.self.${t}`)}`;
    tensors[`${m}.lora_A.weight`] = { shape: [r, H], data: Float32Array.from(params.A[t]!) };
    tensors[`${m}.lora_B.weight`] = { shape: [H, r], data: Float32Array.from(params.B[t]!) };
  }
  const C = params.classifierBias.length;
  tensors['base_model.model.classifier.weight'] = {
    shape: [C, params.classifierWeight.length / C],
    data: Float32Array.from(params.classifierWeight),
  };
  tensors['base_model.model.classifier.bias'] = {
    shape: [C],
    data: Float32Array.from(params.classifierBias),
  };
  const config: JsonObject = {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    base_model_name_or_path: options.baseModel,
    r,
    lora_alpha: options.alpha,
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: false,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    target_modules: targets.length > 0 ? [...targets] : [],
    layers_to_transform: [layer],
    layers_pattern: 'layer',
    modules_to_save: ['classifier'],
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
  return { config, tensors };
}

/**
 * Writes an adapter folder PEFT loads with `PeftModel.from_pretrained(base, folder)`: `adapter_config.json` and
 * `adapter_model.safetensors` (fp32).
 *
 * @param files - from {@link loraAdapterFiles}
 * @param folder - the folder to write (created)
 *
 * @example
 * ```ts
 * await saveLoraAdapter(result.adapter, 'adapters/bots');
 * ```
 */
export async function saveLoraAdapter(files: LoraAdapterFiles, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFileAtomic(join(folder, 'adapter_config.json'), `${JSON.stringify(files.config, null, 2)}\n`);
  const tensors: Record<string, TensorToWrite> = files.tensors;
  await writeFileAtomic(
    join(folder, 'adapter_model.safetensors'),
    encodeSafetensors(tensors, { format: 'pt' }),
  );
}
