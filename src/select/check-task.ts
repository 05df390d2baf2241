import { DTYPE_FILE_SUFFIXES } from '../core/model-dtypes.js';
import { MODEL_DTYPES, type ModelDtype } from '../runtime/model-options.js';
import type { ZooDetector } from '../zoo/model-zoo.js';
import { onnxWeightFiles } from './onnx-weight-files.js';
import type { CheckStatus, ModelCheck, ModelFacts } from './types.js';
import { worstStatus } from './worst-status.js';

interface TaskRule {
  tags: readonly string[];
  /** `decoder`: a causal LM; `encoder`: anything but a causal LM or seq2seq generator; `classifier`; `dual`. */
  arch: 'decoder' | 'encoder' | 'classifier' | 'dual';
  needs: string;
}

const RULES: Readonly<Record<ZooDetector, TaskRule>> = {
  nli: {
    tags: ['zero-shot-classification', 'text-classification'],
    arch: 'classifier',
    needs: 'an MNLI-style sequence classifier (*ForSequenceClassification) with an entailment label',
  },
  embedding: {
    tags: ['feature-extraction', 'sentence-similarity'],
    arch: 'encoder',
    needs: 'a feature-extraction encoder',
  },
  perplexity: {
    tags: ['text-generation'],
    arch: 'decoder',
    needs: 'a causal language model (*ForCausalLM / *LMHeadModel)',
  },
  fewshot: {
    tags: ['text-generation'],
    arch: 'decoder',
    needs: 'a causal language model (*ForCausalLM / *LMHeadModel) to prompt',
  },
  clip: {
    tags: ['zero-shot-image-classification'],
    arch: 'dual',
    needs: 'a CLIP-style model with both a text and a vision tower',
  },
  lora: {
    tags: ['feature-extraction', 'fill-mask', 'text-classification', 'sentence-similarity'],
    arch: 'encoder',
    needs: 'an encoder (BERT-like) to adapt',
  },
};

const DECODER = /(ForCausalLM|LMHeadModel)$/;
const GENERATOR = /(ForCausalLM|LMHeadModel|ForConditionalGeneration)$/;

function architectureOf(facts: ModelFacts): string | undefined {
  for (const c of [facts.config, facts.hubConfig]) {
    const a = c?.['architectures'];
    if (Array.isArray(a) && typeof a[0] === 'string') return a[0];
  }
  return undefined;
}

function modelTypeOf(facts: ModelFacts): string | undefined {
  for (const c of [facts.config, facts.hubConfig]) {
    const t = c?.['model_type'];
    if (typeof t === 'string') return t;
  }
  return undefined;
}

function labelsOf(config: Record<string, unknown>): string[] | undefined {
  const id2label = config['id2label'];
  if (typeof id2label === 'object' && id2label !== null) {
    return Object.values(id2label).filter((v): v is string => typeof v === 'string');
  }
  const label2id = config['label2id'];
  if (typeof label2id === 'object' && label2id !== null) return Object.keys(label2id);
  return undefined;
}

function archFits(rule: TaskRule, arch: string, facts: ModelFacts): boolean {
  switch (rule.arch) {
    case 'decoder':
      return DECODER.test(arch);
    case 'classifier':
      return /ForSequenceClassification$/.test(arch);
    case 'encoder':
      return !GENERATOR.test(arch);
    case 'dual': {
      const c = facts.config;
      const towers =
        c !== undefined && typeof c['text_config'] === 'object' && typeof c['vision_config'] === 'object';
      return towers || /^(CLIP|ChineseCLIP|SigLIP|Siglip|Siglip2|AltCLIP)Model$/.test(arch);
    }
  }
}

/** Options for {@link checkTask}. */
export interface CheckTaskOptions {
  /** The detector that will use the model. */
  task: ZooDetector;
  /**
   * The ONNX weight variant that will be loaded.
   * @defaultValue 'fp32'
   */
  dtype?: ModelDtype;
}

/**
 * Task alignment: does the model fit the detector that will use it, and can transformers.js load it?
 *
 * - The pipeline tag must be one the detector takes (`zero-shot-classification` or `text-classification` for
 *   `nli`, `feature-extraction` or `sentence-similarity` for `embedding`, `text-generation` for `perplexity` and
 *   `fewshot`, `zero-shot-image-classification` for `clip`, an encoder task for `lora`); a different tag with a
 *   fitting architecture only warns.
 * - The architecture must fit: a `*ForSequenceClassification` with an `entailment` label for NLI, a causal LM
 *   (`*ForCausalLM`, `*LMHeadModel`) for perplexity and few-shot, not a generator for embeddings and LoRA, a text
 *   and a vision tower for CLIP.
 * - The ONNX files the detector loads must exist in `onnx/` for the dtype (`model_quantized.onnx` for `q8`...).
 *
 * @param facts - what the hub said about the model
 * @param options - the detector and the dtype
 * @example
 * ```ts
 * checkTask(facts, { task: 'nli', dtype: 'q8' }).status; // 'pass' for Xenova/bart-large-mnli
 * ```
 */
export function checkTask(facts: ModelFacts, options: CheckTaskOptions): ModelCheck {
  const task = options.task;
  const dtype = options.dtype ?? 'fp32';
  const rule = RULES[task];
  const findings: { status: CheckStatus; sentence: string }[] = [];
  const arch = architectureOf(facts);
  const archOk = arch === undefined ? undefined : archFits(rule, arch, facts);

  const tag = facts.pipelineTag;
  if (tag === undefined) {
    findings.push({ status: 'warn', sentence: 'The repo has no pipeline tag.' });
  } else if (!rule.tags.includes(tag)) {
    findings.push({
      status: archOk ? 'warn' : 'fail',
      sentence: `Its pipeline tag is ${tag}; the ${task} detector takes ${rule.tags.join(' or ')}.`,
    });
  }

  if (arch === undefined) {
    findings.push({ status: 'warn', sentence: 'Its architecture is unknown (no readable config.json).' });
  } else if (!archOk) {
    findings.push({ status: 'fail', sentence: `Its architecture ${arch} is not ${rule.needs}.` });
  }

  if (task === 'nli') {
    const labels = facts.config ? labelsOf(facts.config) : undefined;
    if (labels === undefined) {
      findings.push({
        status: 'warn',
        sentence: 'Its labels are unknown, so an entailment label cannot be confirmed.',
      });
    } else if (!labels.some((l) => /entail/i.test(l))) {
      findings.push({
        status: 'fail',
        sentence: `Its labels (${labels.join(', ')}) have no entailment label: zero-shot NLI needs an MNLI-style classifier.`,
      });
    }
  }

  let onnxDtypes: ModelDtype[] | null = null;
  if (facts.files === undefined) {
    findings.push({
      status: 'warn',
      sentence: 'Its file list could not be read, so the ONNX weights are unconfirmed.',
    });
  } else {
    const files = facts.files;
    onnxDtypes = MODEL_DTYPES.filter((d) => onnxWeightFiles(files, task, d).complete);
    const want = onnxWeightFiles(files, task, dtype);
    if (!files.some((f) => /^onnx\/.+\.onnx$/.test(f.path))) {
      findings.push({
        status: 'fail',
        sentence:
          'It has no ONNX weights in onnx/, which transformers.js needs: pick an ONNX export (Xenova/..., onnx-community/...) or convert it with optimum.',
      });
    } else if (!want.complete) {
      findings.push({
        status: 'fail',
        sentence: `It lacks ${want.missing.join(' and ')} for dtype ${dtype}; ${
          onnxDtypes.length > 0
            ? `dtypes available: ${onnxDtypes.join(', ')}`
            : 'no transformers.js dtype is complete'
        }.`,
      });
    }
  }

  const status = worstStatus(findings.map((f) => f.status));
  const message =
    status === 'pass'
      ? `${tag} model (${arch}) with ${onnxWeightFiles(facts.files ?? [], task, dtype).graphs.join(' and ')}: fits the ${task} detector.`
      : findings
          .filter((f) => f.status !== 'pass')
          .map((f) => f.sentence)
          .join(' ');
  const modelType = modelTypeOf(facts);
  return {
    name: 'task',
    status,
    value: { pipelineTag: tag ?? null, architecture: arch ?? null, modelType: modelType ?? null, onnxDtypes },
    rule: `pipeline tag ${rule.tags.join(' or ')}; ${rule.needs}; onnx/*${DTYPE_FILE_SUFFIXES[dtype]}.onnx for dtype ${dtype}`,
    message,
  };
}
