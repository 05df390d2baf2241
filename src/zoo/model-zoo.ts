import { describeValue } from '../core/describe-value.js';
import { MODEL_DTYPES, type ModelDtype } from '../core/model-dtypes.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** What a model does, in the hub's pipeline-tag vocabulary (the subset botlens uses). */
export type ZooTask =
  | 'zero-shot-classification'
  | 'feature-extraction'
  | 'fill-mask'
  | 'text-generation'
  | 'zero-shot-image-classification'
  | 'text-classification';

/** The botlens detectors that take a model, by the names the CLI uses, in the order it lists them. */
export const ZOO_DETECTORS = Object.freeze([
  'nli',
  'fewshot',
  'embedding',
  'perplexity',
  'clip',
  'lora',
] as const);

/** A botlens detector that takes a model (one of {@link ZOO_DETECTORS}). */
export type ZooDetector = (typeof ZOO_DETECTORS)[number];

/**
 * One recommended model in the {@link MODEL_ZOO}.
 */
export interface ZooEntry {
  /** Hub repo id (a transformers.js-ready ONNX export). */
  id: string;
  /** The original checkpoint the ONNX export was converted from (its card carries the license and languages). */
  baseModel?: string;
  /** Git revision to pin. `main` means unpinned: pin a commit sha for reproducible deployments. */
  revision: string;
  /** The hub pipeline tag the model carries. */
  task: ZooTask;
  /** Detectors this model serves; the first entry listing a detector as `defaultFor` is its default. */
  detectors: readonly ZooDetector[];
  /** The detectors for which this is the default model. */
  defaultFor: readonly ZooDetector[];
  /** ISO 639-1 language codes, or `multilingual`. */
  languages: readonly string[];
  /** SPDX-style license id from the model card. */
  license: string;
  /** Approximate parameter count of the original checkpoint. */
  parameters: number;
  /** ONNX variants published in the repo's `onnx/` folder. */
  dtypes: readonly ModelDtype[];
  /** Why it is here and what to watch for. */
  notes: string;
}

/** Ids of the models in the {@link MODEL_ZOO}. */
export type ZooModelId =
  | 'Xenova/bart-large-mnli'
  | 'Xenova/e5-small-v2'
  | 'Xenova/all-MiniLM-L6-v2'
  | 'Xenova/gpt2'
  | 'Xenova/distilgpt2'
  | 'onnx-community/Qwen2.5-0.5B-Instruct'
  | 'Xenova/clip-vit-base-patch32'
  | 'Xenova/bert-base-uncased';

const ZOO_ENTRIES = {
  'Xenova/bart-large-mnli': {
    id: 'Xenova/bart-large-mnli',
    baseModel: 'facebook/bart-large-mnli',
    revision: 'main',
    task: 'zero-shot-classification',
    detectors: ['nli'],
    defaultFor: ['nli'],
    languages: ['en'],
    license: 'mit',
    parameters: 407_000_000,
    dtypes: MODEL_DTYPES,
    notes:
      'ONNX export of facebook/bart-large-mnli, the reference zero-shot NLI model. About 1.6 GB in fp32; q8 is about a quarter of that.',
  },
  'Xenova/e5-small-v2': {
    id: 'Xenova/e5-small-v2',
    baseModel: 'intfloat/e5-small-v2',
    revision: 'main',
    task: 'feature-extraction',
    detectors: ['embedding'],
    defaultFor: ['embedding'],
    languages: ['en'],
    license: 'mit',
    parameters: 33_400_000,
    dtypes: MODEL_DTYPES,
    notes:
      'ONNX export of intfloat/e5-small-v2: 384-d sentence embeddings; inputs take the "query: " prefix.',
  },
  'Xenova/all-MiniLM-L6-v2': {
    id: 'Xenova/all-MiniLM-L6-v2',
    baseModel: 'sentence-transformers/all-MiniLM-L6-v2',
    revision: 'main',
    task: 'feature-extraction',
    detectors: ['embedding'],
    defaultFor: [],
    languages: ['en'],
    license: 'apache-2.0',
    parameters: 22_700_000,
    dtypes: MODEL_DTYPES,
    notes:
      'ONNX export of sentence-transformers/all-MiniLM-L6-v2 (SBERT): smaller and faster than E5, no prefix.',
  },
  'Xenova/gpt2': {
    id: 'Xenova/gpt2',
    baseModel: 'openai-community/gpt2',
    revision: 'main',
    task: 'text-generation',
    detectors: ['perplexity', 'fewshot'],
    defaultFor: ['perplexity'],
    languages: ['en'],
    license: 'mit',
    parameters: 124_000_000,
    dtypes: MODEL_DTYPES,
    notes:
      'ONNX export of openai-community/gpt2: per-token log-probabilities for perplexity; 1024-token context.',
  },
  'Xenova/distilgpt2': {
    id: 'Xenova/distilgpt2',
    baseModel: 'distilbert/distilgpt2',
    revision: 'main',
    task: 'text-generation',
    detectors: ['perplexity'],
    defaultFor: [],
    languages: ['en'],
    license: 'apache-2.0',
    parameters: 82_000_000,
    dtypes: MODEL_DTYPES,
    notes:
      'Shares the GPT-2 tokenizer, so it pairs with Xenova/gpt2 for the Binoculars cross-perplexity score.',
  },
  'onnx-community/Qwen2.5-0.5B-Instruct': {
    id: 'onnx-community/Qwen2.5-0.5B-Instruct',
    baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
    revision: 'main',
    task: 'text-generation',
    detectors: ['fewshot'],
    defaultFor: ['fewshot'],
    languages: ['multilingual'],
    license: 'apache-2.0',
    parameters: 494_000_000,
    dtypes: MODEL_DTYPES,
    notes: 'Small instruct model with a chat template; 32k context leaves room for 3-5 labelled examples.',
  },
  'Xenova/clip-vit-base-patch32': {
    id: 'Xenova/clip-vit-base-patch32',
    baseModel: 'openai/clip-vit-base-patch32',
    revision: 'main',
    task: 'zero-shot-image-classification',
    detectors: ['clip'],
    defaultFor: ['clip'],
    languages: ['en'],
    license: 'mit',
    parameters: 151_000_000,
    dtypes: MODEL_DTYPES,
    notes: 'ONNX export of openai/clip-vit-base-patch32 with separate text and vision towers.',
  },
  'Xenova/bert-base-uncased': {
    id: 'Xenova/bert-base-uncased',
    baseModel: 'google-bert/bert-base-uncased',
    revision: 'main',
    task: 'fill-mask',
    detectors: ['lora'],
    defaultFor: ['lora'],
    languages: ['en'],
    license: 'apache-2.0',
    parameters: 110_000_000,
    dtypes: MODEL_DTYPES,
    notes:
      'Encoder base for the LoRA classifier (r=8, alpha=32 on query/value); the classification head is trained. The hub tags it fill-mask: the ONNX graph is BertForMaskedLM.',
  },
} as const satisfies Record<ZooModelId, ZooEntry>;

/**
 * The typed catalogue of recommended models per detector. Every model-backed detector takes its default model
 * from here, and `botlens models`, `botlens check-model` and the docs read it.
 *
 * Parameter counts are those of the original checkpoints, rounded. Revisions are `main` (unpinned): pin a commit
 * sha in production.
 *
 * @example
 * ```ts
 * import { MODEL_ZOO, defaultModelFor } from 'botlens';
 * defaultModelFor('nli').id; // 'Xenova/bart-large-mnli'
 * Object.keys(MODEL_ZOO); // every recommended model
 * ```
 */
export const MODEL_ZOO: Readonly<Record<ZooModelId, ZooEntry>> = ZOO_ENTRIES;

/**
 * The default zoo entry for a detector.
 *
 * @param detector - the detector's CLI name
 * @throws InvalidOptionsError for a name that is not a detector
 * @example
 * ```ts
 * defaultModelFor('embedding').id; // 'Xenova/e5-small-v2'
 * ```
 */
export function defaultModelFor(detector: ZooDetector): ZooEntry {
  for (const entry of Object.values(MODEL_ZOO)) {
    if (entry.defaultFor.includes(detector)) return entry;
  }
  // Reached only for a name that is not a detector (from JavaScript or the CLI): the table has a default for each.
  throw new InvalidOptionsError(
    'detector',
    `got ${describeValue(detector)}; use one of ${ZOO_DETECTORS.join(', ')}`,
  );
}
