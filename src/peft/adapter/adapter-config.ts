import { describeValue } from '../../core/describe-value.js';
import { AdapterError } from '../../errors/adapter-error.js';

/**
 * The fields of a PEFT LoRA `adapter_config.json` that decide what a merge does. Other fields PEFT writes
 * (dropout, initialisation, revision...) do not change a merged model and are ignored.
 */
export interface LoraAdapterConfig {
  /** Always `LORA`. */
  peft_type: 'LORA';
  /** The PEFT task, e.g. `SEQ_CLS`; informative. */
  task_type: string | null;
  /** The base model the adapter was trained on, when recorded. */
  base_model_name_or_path: string | null;
  /** Default rank. */
  r: number;
  /** Default alpha; scaling is alpha / r (or alpha / sqrt(r) with rsLoRA). */
  lora_alpha: number;
  /** Rank-stabilized LoRA: scaling alpha / sqrt(r). */
  use_rslora: boolean;
  /** Module names (each matches a full name or its last dotted parts) or one regular expression (full match). */
  target_modules: string[] | string | null;
  /** Modules excluded from targeting (same forms as target_modules). */
  exclude_modules: string[] | string | null;
  /** Modules trained in full and saved with the adapter (e.g. the classifier). */
  modules_to_save: string[] | null;
  /** The base layer stores weights as [in, out] (GPT-2 Conv1D). */
  fan_in_fan_out: boolean;
  /** Per-module rank overrides: pattern -> rank. */
  rank_pattern: Record<string, number>;
  /** Per-module alpha overrides: pattern -> alpha. */
  alpha_pattern: Record<string, number>;
  /** Only these layer indices were targeted. */
  layers_to_transform: number[] | null;
  /** The name of the layer list that `layers_to_transform` indexes (`layer`, `layers`, `h`...). */
  layers_pattern: string[] | null;
  /** Which biases were trained: `none`, `all` or `lora_only` (trained biases are saved as full tensors). */
  bias: 'none' | 'all' | 'lora_only';
}

/** Options that change the adapter's computation in ways a plain W + s * B @ A merge cannot reproduce. */
const UNSUPPORTED_FLAGS: readonly [string, string][] = [
  ['use_dora', 'DoRA (weight-decomposed LoRA) rescales each weight column by a learned magnitude'],
  ['lora_bias', 'lora_bias adds a trained bias to lora_B'],
  ['use_qalora', 'QALoRA pools inputs by group'],
  ['use_bdlora', 'block-diagonal LoRA'],
];
const UNSUPPORTED_PRESENT: readonly [string, string][] = [
  ['layer_replication', 'layer_replication duplicates base layers'],
  ['target_parameters', 'target_parameters puts LoRA on raw parameters (MoE experts)'],
  ['trainable_token_indices', 'trainable_token_indices trains individual embedding rows'],
  ['alora_invocation_tokens', 'activated LoRA only applies after invocation tokens'],
  ['megatron_config', 'Megatron tensor-parallel layers'],
];

function isSet(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/**
 * Checks a parsed `adapter_config.json` and returns the fields that matter. Other PEFT methods (IA3, AdaLoRA,
 * prefix tuning...) and LoRA variants a weight merge cannot reproduce (DoRA, lora_bias, layer replication...)
 * are refused with an `ADAPTER_UNSUPPORTED` error rather than merged wrongly.
 *
 * @param json - the parsed JSON
 * @param source - a name for error messages (the file path)
 * @throws AdapterError naming the field at fault
 *
 * @example
 * ```ts
 * const cfg = parseAdapterConfig(JSON.parse(await readFile('adapter/adapter_config.json', 'utf8')));
 * loraScaling(cfg, 'bert.encoder.layer.0.attention.self.query'); // 4 for r=8, alpha=32
 * ```
 */
export function parseAdapterConfig(json: unknown, source = 'adapter_config.json'): LoraAdapterConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AdapterError('ADAPTER_INVALID', `${source} must hold a JSON object.`);
  }
  const c = json as Record<string, unknown>;
  const peftType = c['peft_type'];
  if (peftType !== 'LORA') {
    throw new AdapterError(
      'ADAPTER_UNSUPPORTED',
      `${source} has peft_type ${describeValue(peftType)}; only LoRA adapters (peft_type "LORA") can be merged.`,
    );
  }
  for (const [key, why] of UNSUPPORTED_FLAGS) {
    if (isSet(c[key])) {
      throw new AdapterError(
        'ADAPTER_UNSUPPORTED',
        `${source} sets ${key}: ${why}, which botlens cannot merge faithfully.`,
      );
    }
  }
  for (const [key, why] of UNSUPPORTED_PRESENT) {
    if (isSet(c[key])) {
      throw new AdapterError(
        'ADAPTER_UNSUPPORTED',
        `${source} sets ${key}: ${why}, which botlens cannot merge faithfully.`,
      );
    }
  }
  const bad = (key: string, what: string): never => {
    throw new AdapterError('ADAPTER_INVALID', `${source}: ${key} ${what} (got ${describeValue(c[key])}).`);
  };
  const r = c['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) bad('r', 'must be a positive integer');
  const alpha = c['lora_alpha'] ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) bad('lora_alpha', 'must be a number');
  const strList = (key: string): string[] | string | null => {
    const v = c[key];
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...(v as string[])];
    return bad(key, 'must be a string, a list of strings or null');
  };
  const numMap = (key: string): Record<string, number> => {
    const v = c[key];
    if (v === null || v === undefined) return {};
    if (typeof v !== 'object' || Array.isArray(v)) return bad(key, 'must be an object of pattern -> number');
    for (const x of Object.values(v as object))
      if (typeof x !== 'number') bad(key, 'must map patterns to numbers');
    return { ...(v as Record<string, number>) };
  };
  const modulesToSave = strList('modules_to_save');
  if (typeof modulesToSave === 'string') bad('modules_to_save', 'must be a list of module names');
  let layers: number[] | null = null;
  const ltt = c['layers_to_transform'];
  if (typeof ltt === 'number') layers = [ltt];
  else if (Array.isArray(ltt))
    layers = ltt.map((x) =>
      Number.isInteger(x) ? (x as number) : bad('layers_to_transform', 'must hold integers'),
    );
  else if (ltt !== null && ltt !== undefined)
    bad('layers_to_transform', 'must be an integer, a list of integers or null');
  const lp = strList('layers_pattern');
  const bias = c['bias'] ?? 'none';
  if (bias !== 'none' && bias !== 'all' && bias !== 'lora_only')
    bad('bias', 'must be "none", "all" or "lora_only"');
  const targets = strList('target_modules');
  if (targets === null) {
    throw new AdapterError(
      'ADAPTER_INVALID',
      `${source} has no target_modules: the merge needs to know which modules the adapter changes.`,
    );
  }
  return {
    peft_type: 'LORA',
    task_type: typeof c['task_type'] === 'string' ? (c['task_type'] as string) : null,
    base_model_name_or_path:
      typeof c['base_model_name_or_path'] === 'string' ? (c['base_model_name_or_path'] as string) : null,
    r: r as number,
    lora_alpha: alpha as number,
    use_rslora: c['use_rslora'] === true,
    target_modules: targets,
    exclude_modules: strList('exclude_modules'),
    modules_to_save: modulesToSave as string[] | null,
    fan_in_fan_out: c['fan_in_fan_out'] === true,
    rank_pattern: numMap('rank_pattern'),
    alpha_pattern: numMap('alpha_pattern'),
    layers_to_transform: layers,
    layers_pattern: typeof lp === 'string' ? [lp] : lp,
    bias: bias as LoraAdapterConfig['bias'],
  };
}

function compile(pattern: string, wrap: (p: string) => string, key: string): RegExp {
  try {
    return new RegExp(wrap(pattern));
  } catch (cause) {
    throw new AdapterError(
      'ADAPTER_INVALID',
      `adapter_config.json: ${key} pattern ${JSON.stringify(pattern)} is not a valid regular expression.`,
      {
        cause,
      },
    );
  }
}

/** PEFT's pattern lookup: the first key that matches the whole module name or its last dotted parts. */
function patternValue(patterns: Record<string, number>, module: string, key: string): number | undefined {
  for (const [p, v] of Object.entries(patterns)) {
    if (compile(p, (x) => `^(?:.*\\.)?(?:${x})$`, key).test(module)) return v;
  }
  return undefined;
}

/**
 * The rank PEFT uses for `module`: its `rank_pattern` entry, else `r`.
 *
 * @param cfg - the adapter config
 * @param module - full module name, e.g. `bert.encoder.layer.0.attention.self.query`
 */
export function loraRank(cfg: LoraAdapterConfig, module: string): number {
  return patternValue(cfg.rank_pattern, module, 'rank_pattern') ?? cfg.r;
}

/**
 * The alpha PEFT uses for `module`: its `alpha_pattern` entry, else `lora_alpha`.
 *
 * @param cfg - the adapter config
 * @param module - full module name
 */
export function loraAlpha(cfg: LoraAdapterConfig, module: string): number {
  return patternValue(cfg.alpha_pattern, module, 'alpha_pattern') ?? cfg.lora_alpha;
}

/**
 * The factor applied to `B @ A` for `module`: alpha / r, or alpha / sqrt(r) with `use_rslora`.
 *
 * @param cfg - the adapter config
 * @param module - full module name
 *
 * @example
 * ```ts
 * loraScaling(cfg, 'bert.encoder.layer.0.attention.self.value'); // 32 / 8 = 4
 * ```
 */
export function loraScaling(cfg: LoraAdapterConfig, module: string): number {
  const r = loraRank(cfg, module);
  const alpha = loraAlpha(cfg, module);
  return cfg.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
}

const COMMON_LAYER_NAMES = ['layers', 'h', 'block', 'blocks', 'layer'];

function matchesNames(names: string[] | string, module: string, key: string): boolean {
  if (typeof names === 'string') return compile(names, (x) => `^(?:${x})$`, key).test(module);
  return names.some((t) => module === t || module.endsWith(`.${t}`));
}

/**
 * Whether PEFT would put LoRA on `module` under this config: it matches `target_modules` (a name list matched
 * against the full name or its last dotted parts, or a regular expression matched in full), is not excluded,
 * and lies in `layers_to_transform` when that is set.
 *
 * @param cfg - the adapter config
 * @param module - full module name
 */
export function isLoraTarget(cfg: LoraAdapterConfig, module: string): boolean {
  if (cfg.target_modules === null) return false;
  const targets = cfg.target_modules;
  if (
    !(Array.isArray(targets) && targets.includes('all-linear')) &&
    !matchesNames(targets, module, 'target_modules')
  ) {
    return false;
  }
  if (cfg.exclude_modules !== null && matchesNames(cfg.exclude_modules, module, 'exclude_modules'))
    return false;
  if (cfg.layers_to_transform !== null) {
    const names = cfg.layers_pattern ?? COMMON_LAYER_NAMES;
    let index: number | undefined;
    for (const n of names) {
      const m = compile(n, (x) => `^.*\\.(?:${x})\\.(\\d+)\\.`, 'layers_pattern').exec(module);
      if (m) {
        index = Number(m[1]);
        break;
      }
    }
    if (index === undefined || !cfg.layers_to_transform.includes(index)) return false;
  }
  return true;
}

/**
 * Whether a single `target_modules` entry (list form) names `module`.
 *
 * @param target - one entry, e.g. `query`
 * @param module - full module name
 */
export function targetEntryMatches(target: string, module: string): boolean {
  return module === target || module.endsWith(`.${target}`);
}
