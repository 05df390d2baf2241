import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdapterError } from '../../errors/adapter-error.js';
import {
  isLoraTarget,
  type LoraAdapterConfig,
  loraRank,
  loraScaling,
  parseAdapterConfig,
} from './adapter-config.js';
import { readSafetensors, type SafeTensor } from './safetensors.js';

/** The low-rank update of one module: delta W = scaling * B @ A, W being [out, in]. */
export interface LoraModuleUpdate {
  /** Full module name, e.g. `bert.encoder.layer.0.attention.self.query`. */
  module: string;
  /** The rank. */
  r: number;
  /** Input features (columns of A). */
  inFeatures: number;
  /** Output features (rows of B). */
  outFeatures: number;
  /** The factor applied to B @ A. */
  scaling: number;
  /** A, [r, in], row-major. */
  A: Float32Array;
  /** B, [out, r], row-major. */
  B: Float32Array;
}

/** A parameter the adapter stores in full (from `modules_to_save`, or a trained bias). */
export interface FullParameter {
  /** The module it belongs to, e.g. `classifier`. */
  module: string;
  /** The parameter, e.g. `weight` or `bias`. */
  param: string;
  /** Its shape as PyTorch stores it (Linear weights are [out, in]). */
  shape: number[];
  /** The values, row-major. */
  data: Float32Array;
}

/** A PEFT LoRA adapter read from its folder. */
export interface LoraAdapter {
  /** The folder it was read from. */
  folder: string;
  /** The checked config. */
  config: LoraAdapterConfig;
  /** One update per targeted module, in name order. */
  updates: LoraModuleUpdate[];
  /** Parameters replaced in full, in name order. */
  parameters: FullParameter[];
}

const PREFIX = 'base_model.model.';

/**
 * Reads a PEFT LoRA adapter folder (`adapter_config.json` and `adapter_model.safetensors`, as
 * `PeftModel.save_pretrained` writes them) and checks that its tensors agree with its config: every LoRA
 * module is one the config targets, A is [r, in] and B is [out, r] with the configured rank. fp32, fp16 and
 * bf16 adapters are read (values are converted to float32).
 *
 * @param folder - the adapter folder
 * @throws AdapterError naming the module or field at fault
 *
 * @example
 * ```ts
 * const adapter = await readLoraAdapter('fixtures/tiny-bert-cls-lora');
 * adapter.updates.map((u) => u.module); // ['bert.encoder.layer.0.attention.self.query', ...]
 * adapter.parameters.map((p) => `${p.module}.${p.param}`); // ['classifier.bias', 'classifier.weight']
 * ```
 */
export async function readLoraAdapter(folder: string): Promise<LoraAdapter> {
  const cfgPath = join(folder, 'adapter_config.json');
  let text: string;
  try {
    text = await readFile(cfgPath, 'utf8');
  } catch (cause) {
    throw new AdapterError(
      'ADAPTER_INVALID',
      `Cannot read ${cfgPath}: an adapter folder holds adapter_config.json and adapter_model.safetensors.`,
      {
        cause,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AdapterError('ADAPTER_INVALID', `${cfgPath} is not valid JSON.`, { cause });
  }
  const config = parseAdapterConfig(json, cfgPath);
  const file = await readSafetensors(join(folder, 'adapter_model.safetensors'));
  return { folder, config, ...adapterFromTensors(config, file.tensors, folder) };
}

/**
 * Sorts the tensors of an adapter file into LoRA updates and full parameters, checking them against the config.
 *
 * @param config - the adapter config
 * @param tensors - the tensors of `adapter_model.safetensors` by name
 * @param source - a name for error messages
 */
export function adapterFromTensors(
  config: LoraAdapterConfig,
  tensors: Map<string, SafeTensor>,
  source: string,
): Pick<LoraAdapter, 'updates' | 'parameters'> {
  const a = new Map<string, SafeTensor>();
  const b = new Map<string, SafeTensor>();
  const parameters: FullParameter[] = [];
  for (const [rawName, t] of [...tensors.entries()].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const name = rawName.startsWith(PREFIX) ? rawName.slice(PREFIX.length) : rawName;
    const lora = /^(.+)\.(lora_[A-Za-z_]+?)(?:\.[^.]+)?\.(weight|bias)$/.exec(name);
    if (lora) {
      const [, module, kind, param] = lora as unknown as [string, string, string, string];
      if ((kind === 'lora_A' || kind === 'lora_B') && param === 'weight') {
        (kind === 'lora_A' ? a : b).set(module, t);
        continue;
      }
      const why =
        kind === 'lora_magnitude_vector'
          ? 'a DoRA magnitude vector'
          : kind.startsWith('lora_embedding')
            ? 'LoRA on an embedding layer'
            : `an unsupported LoRA tensor (${kind}.${param})`;
      throw new AdapterError(
        'ADAPTER_UNSUPPORTED',
        `${source}: module "${module}" has ${why}; botlens merges LoRA on Linear layers only.`,
        {
          module,
        },
      );
    }
    const m = /^(.+)\.([^.]+)$/.exec(name.replace(/\.modules_to_save\.[^.]+\./, '.'));
    if (!m)
      throw new AdapterError(
        'ADAPTER_INVALID',
        `${source}: tensor "${rawName}" is not named module.parameter.`,
      );
    parameters.push({ module: m[1]!, param: m[2]!, shape: t.shape, data: t.data });
  }
  const updates: LoraModuleUpdate[] = [];
  for (const module of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const A = a.get(module);
    const B = b.get(module);
    if (!A || !B) {
      throw new AdapterError(
        'ADAPTER_INVALID',
        `${source}: module "${module}" has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}.`,
        {
          module,
        },
      );
    }
    if (A.shape.length !== 2 || B.shape.length !== 2) {
      throw new AdapterError(
        'ADAPTER_UNSUPPORTED',
        `${source}: module "${module}" has ${A.shape.length}-D LoRA weights; only Linear (2-D) layers can be merged.`,
        {
          module,
        },
      );
    }
    const [r, inFeatures] = A.shape as [number, number];
    const [outFeatures, rB] = B.shape as [number, number];
    if (r !== rB) {
      throw new AdapterError(
        'ADAPTER_INVALID',
        `${source}: module "${module}" has lora_A of rank ${r} but lora_B of rank ${rB}.`,
        {
          module,
        },
      );
    }
    const expected = loraRank(config, module);
    if (r !== expected) {
      throw new AdapterError(
        'ADAPTER_INVALID',
        `${source}: module "${module}" has rank ${r} but the config gives it rank ${expected} (r / rank_pattern).`,
        { module },
      );
    }
    if (!isLoraTarget(config, module)) {
      throw new AdapterError(
        'ADAPTER_INVALID',
        `${source}: the file holds LoRA weights for "${module}", which the config's target_modules do not name.`,
        { module },
      );
    }
    updates.push({
      module,
      r,
      inFeatures,
      outFeatures,
      scaling: loraScaling(config, module),
      A: A.data,
      B: B.data,
    });
  }
  if (updates.length === 0 && parameters.length === 0) {
    throw new AdapterError('ADAPTER_INVALID', `${source}: adapter_model.safetensors holds no weights.`);
  }
  return { updates, parameters };
}
