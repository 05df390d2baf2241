import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { cardLanguages } from '../../src/select/card-languages.js';
import { cardLicenses } from '../../src/select/card-licenses.js';
import { checkActivity } from '../../src/select/check-activity.js';
import { checkLanguage } from '../../src/select/check-language.js';
import { checkLicense } from '../../src/select/check-license.js';
import { checkMemory } from '../../src/select/check-memory.js';
import { checkSecurity } from '../../src/select/check-security.js';
import { checkTask } from '../../src/select/check-task.js';
import { formatBytes } from '../../src/select/format-bytes.js';
import { classifyLicense } from '../../src/select/license-policy.js';
import { onnxWeightFiles } from '../../src/select/onnx-weight-files.js';
import { parseByteSize } from '../../src/select/parse-byte-size.js';
import { runModelChecks } from '../../src/select/run-model-checks.js';
import { CHECK_NAMES, type ModelFacts } from '../../src/select/types.js';
import { worstStatus } from '../../src/select/worst-status.js';

/** Facts of a healthy transformers.js NLI export; each test changes what it is about. */
function facts(over: Partial<ModelFacts> = {}): ModelFacts {
  return {
    id: 'org/nli-model',
    sha: 'a'.repeat(40),
    pipelineTag: 'zero-shot-classification',
    libraryName: 'transformers.js',
    tags: ['transformers.js', 'onnx', 'license:mit', 'en'],
    cardData: { license: 'mit', language: 'en' },
    gated: false,
    private: false,
    disabled: false,
    downloads: 50_000,
    likes: 20,
    lastModified: new Date('2026-06-01T00:00:00Z'),
    hubConfig: { architectures: ['BartForSequenceClassification'], model_type: 'bart' },
    config: {
      architectures: ['BartForSequenceClassification'],
      id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' },
      d_model: 1024,
      encoder_layers: 12,
      encoder_attention_heads: 16,
      encoder_ffn_dim: 4096,
      max_position_embeddings: 1024,
      vocab_size: 50265,
    },
    files: [
      { path: 'config.json', size: 1000 },
      { path: 'onnx/model.onnx', size: 1_630_000_000 },
      { path: 'onnx/model_quantized.onnx', size: 410_000_000 },
    ],
    parameters: { total: 407_000_000, byDtype: { F32: 407_000_000 }, source: 'safetensors-header' },
    security: { scansDone: true, filesWithIssues: [] },
    baseModel: undefined,
    problems: [],
    ...over,
  };
}

const NOW = new Date('2026-11-01T00:00:00Z');

describe('checkTask', () => {
  it('passes an MNLI classifier with an entailment label and the ONNX file of the dtype', () => {
    const c = checkTask(facts(), { task: 'nli', dtype: 'q8' });
    expect(c.status).toBe('pass');
    expect(c.value).toMatchObject({ pipelineTag: 'zero-shot-classification', onnxDtypes: ['fp32', 'q8'] });
    expect(c.message).toContain('onnx/model_quantized.onnx');
  });

  it('fails NLI without an entailment label (LABEL_0..2)', () => {
    const c = checkTask(
      facts({
        config: {
          architectures: ['BertForSequenceClassification'],
          id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
        },
      }),
      { task: 'nli' },
    );
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/no entailment label/);
  });

  it('warns when the labels are unknown (no config.json)', () => {
    const c = checkTask(facts({ config: undefined }), { task: 'nli' });
    expect(c.status).toBe('warn');
    expect(c.message).toMatch(/entailment label cannot be confirmed/);
  });

  it('fails when the dtype asked for is missing and lists the available ones', () => {
    const c = checkTask(facts(), { task: 'nli', dtype: 'q4' });
    expect(c.status).toBe('fail');
    expect(c.message).toContain('onnx/model_q4.onnx');
    expect(c.message).toContain('dtypes available: fp32, q8');
  });

  it('fails without any ONNX weights', () => {
    const c = checkTask(facts({ files: [{ path: 'model.safetensors', size: 10 }] }), { task: 'nli' });
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/no ONNX weights/);
  });

  it('fails a classifier used for perplexity, and passes a causal LM with a merged decoder', () => {
    expect(checkTask(facts(), { task: 'perplexity' }).status).toBe('fail');
    const lm = facts({
      pipelineTag: 'text-generation',
      config: { architectures: ['GPT2LMHeadModel'] },
      files: [{ path: 'onnx/decoder_model_merged.onnx', size: 5 }],
    });
    const c = checkTask(lm, { task: 'perplexity' });
    expect(c.status).toBe('pass');
    expect(c.message).toContain('decoder_model_merged.onnx');
  });

  it('fails a generator for embeddings and warns on an unexpected tag with a fitting architecture', () => {
    const gen = facts({ pipelineTag: 'text-generation', config: { architectures: ['LlamaForCausalLM'] } });
    expect(checkTask(gen, { task: 'embedding' }).status).toBe('fail');
    const fillMask = facts({ pipelineTag: 'fill-mask', config: { architectures: ['BertForMaskedLM'] } });
    const c = checkTask(fillMask, { task: 'embedding' });
    expect(c.status).toBe('warn');
    expect(c.message).toMatch(/pipeline tag is fill-mask/);
  });

  it('needs both CLIP towers', () => {
    const both = facts({
      pipelineTag: 'zero-shot-image-classification',
      config: { architectures: ['CLIPModel'], text_config: {}, vision_config: {} },
      files: [
        { path: 'onnx/text_model.onnx', size: 1 },
        { path: 'onnx/vision_model.onnx', size: 2 },
      ],
    });
    expect(checkTask(both, { task: 'clip' }).status).toBe('pass');
    const textOnly = { ...both, files: [{ path: 'onnx/text_model.onnx', size: 1 }] };
    const c = checkTask(textOnly, { task: 'clip' });
    expect(c.status).toBe('fail');
    expect(c.message).toContain('onnx/vision_model.onnx');
  });

  it('warns when the file list is unknown', () => {
    expect(checkTask(facts({ files: undefined }), { task: 'nli' }).status).toBe('warn');
  });
});

describe('onnxWeightFiles', () => {
  it('counts external data with the graph and keeps dtypes apart', () => {
    const files = [
      { path: 'onnx/model.onnx', size: 1000 },
      { path: 'onnx/model.onnx_data', size: 9000 },
      { path: 'onnx/model_q4.onnx', size: 300 },
      { path: 'onnx/model_q4f16.onnx', size: 200 },
    ];
    expect(onnxWeightFiles(files, 'fewshot', 'fp32')).toMatchObject({ complete: true, bytes: 10_000 });
    expect(onnxWeightFiles(files, 'fewshot', 'q4')).toMatchObject({
      complete: true,
      bytes: 300,
      paths: ['onnx/model_q4.onnx'],
    });
    expect(onnxWeightFiles(files, 'fewshot', 'q8')).toMatchObject({
      complete: false,
      missing: ['onnx/model_quantized.onnx'],
    });
  });

  it('does not take the unknown size of a file as zero', () => {
    expect(
      onnxWeightFiles([{ path: 'onnx/model.onnx', size: undefined }], 'nli', 'fp32').bytes,
    ).toBeUndefined();
  });
});

describe('checkLanguage', () => {
  it('passes listed languages, BCP 47 tags by their primary subtag, and multilingual cards', () => {
    expect(checkLanguage(facts(), { languages: ['en-US'] }).status).toBe('pass');
    const multi = facts({ cardData: { language: ['multilingual', 'en'] }, tags: [] });
    const c = checkLanguage(multi, { languages: ['sw'] });
    expect(c.status).toBe('pass');
    expect(c.message).toMatch(/multilingual/);
  });

  it('fails a missing language, warns when the card declares none, passes when none is requested', () => {
    const c = checkLanguage(facts(), { languages: ['de', 'en'] });
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/not de/);
    const none = facts({ cardData: {}, tags: ['tf', 'onnx'] });
    expect(checkLanguage(none, { languages: ['en'] }).status).toBe('warn');
    expect(checkLanguage(none).status).toBe('pass');
    expect(checkLanguage(none).value).toEqual([]); // `tf` is a framework tag, not a language
  });

  it("uses the base model's card when the model's card declares none", () => {
    const f = facts({
      cardData: {},
      tags: [],
      baseModel: { id: 'org/base', licenses: ['mit'], licenseName: undefined, languages: ['fr'] },
    });
    const c = checkLanguage(f, { languages: ['fr'] });
    expect(c.status).toBe('pass');
    expect(c.message).toContain('org/base');
  });

  it('rejects an empty language code', () => {
    expect(() => checkLanguage(facts(), { languages: [''] })).toThrow(InvalidOptionsError);
  });
});

describe('checkLicense', () => {
  it('passes an allowed license and fails one outside the allow-list', () => {
    expect(checkLicense(facts()).status).toBe('pass');
    const gpl = facts({ cardData: { license: 'gpl-3.0' }, tags: [] });
    const c = checkLicense(gpl);
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/allowLicenses/);
    expect(checkLicense(gpl, { allowLicenses: ['GPL-3.0'] }).status).toBe('pass');
  });

  it('warns, naming the license, for non-commercial, conditional and custom licenses', () => {
    const nc = checkLicense(facts({ cardData: { license: 'cc-by-nc-sa-4.0' }, tags: [] }));
    expect(nc).toMatchObject({ status: 'warn', value: 'cc-by-nc-sa-4.0' });
    expect(nc.message).toMatch(/non-commercial/);
    const rail = checkLicense(facts({ cardData: { license: 'bigscience-openrail-m' }, tags: [] }));
    expect(rail.status).toBe('warn');
    expect(rail.message).toMatch(/use conditions/);
    const other = checkLicense(
      facts({ cardData: { license: 'other', license_name: 'acme-model-license' }, tags: [] }),
    );
    expect(other).toMatchObject({ status: 'warn', value: 'other (acme-model-license)' });
  });

  it('reads license arrays and tags, takes the most favourable of a dual license, and fails no license', () => {
    const dual = facts({ cardData: { license: ['cc-by-nc-4.0', 'apache-2.0'] }, tags: [] });
    expect(checkLicense(dual).status).toBe('pass');
    expect(checkLicense(facts({ cardData: {}, tags: ['license:apache-2.0'] })).status).toBe('pass');
    const none = checkLicense(facts({ cardData: {}, tags: [] }));
    expect(none).toMatchObject({ status: 'fail', value: null });
  });

  it('classifies hub license ids', () => {
    expect(classifyLicense('fair-noncommercial-research-license')).toBe('non-commercial');
    expect(classifyLicense('deepfloyd-if-license')).toBe('non-commercial');
    expect(classifyLicense('llama3.1')).toBe('use-conditions');
    expect(classifyLicense('gemma')).toBe('use-conditions');
    expect(classifyLicense('other')).toBe('custom');
    expect(classifyLicense('mit')).toBe('standard');
    expect(cardLicenses({ license: 'MIT' }, ['license:mit', 'license:other'])).toEqual(['mit', 'other']);
    expect(cardLanguages({ language: 'EN' }, ['de', 'jax', 'multilingual'])).toEqual([
      'en',
      'de',
      'multilingual',
    ]);
  });
});

describe('checkMemory', () => {
  it('passes under 80% of the budget, warns up to 100%, fails above', () => {
    // 407M fp32 parameters: weights 1.63 GB, 45% of them and 13.5 MiB of runtime overhead, activations: about 2.51 GB
    expect(checkMemory(facts(), { task: 'nli', memoryBudget: '4GB' }).status).toBe('pass');
    expect(checkMemory(facts(), { task: 'nli', memoryBudget: '2.8GB' }).status).toBe('warn');
    const fail = checkMemory(facts(), { task: 'nli', memoryBudget: '1GB' });
    expect(fail.status).toBe('fail');
    expect(fail.message).toMatch(/smaller model or dtype/);
    // q8 fits in 1 GB: 410 MB of weights
    expect(checkMemory(facts(), { task: 'nli', memoryBudget: '1GB', dtype: 'q8' }).status).toBe('pass');
  });

  it('reports the estimate in bytes and says where the parameter count came from', () => {
    const c = checkMemory(facts(), { task: 'nli', memoryBudget: 4e9 });
    expect(typeof c.value).toBe('number');
    expect(c.value as number).toBeGreaterThan(1.63e9 * 1.45);
    expect(c.value as number).toBeLessThan(2.6e9);
    expect(c.message).toMatch(/safetensors headers/);
  });

  it('falls back to the ONNX file sizes, then warns when nothing tells the size', () => {
    const c = checkMemory(facts({ parameters: undefined }), { task: 'nli', memoryBudget: '4GB' });
    expect(c.message).toMatch(/size of the fp32 ONNX files/);
    expect(c.message).toMatch(/408M parameters/); // 1.63e9 / 4, rounded to three digits
    const unknown = checkMemory(facts({ parameters: undefined, files: [] }), {
      task: 'nli',
      memoryBudget: '4GB',
    });
    expect(unknown).toMatchObject({ status: 'warn', value: null });
  });

  it('adds the KV cache and logits for decoders', () => {
    const lm = facts({
      config: {
        num_hidden_layers: 24,
        hidden_size: 896,
        num_attention_heads: 14,
        num_key_value_heads: 2,
        vocab_size: 151936,
        max_position_embeddings: 32768,
      },
      parameters: { total: 494_000_000, byDtype: { BF16: 494_000_000 }, source: 'hub-summary' },
      files: [],
    });
    const c = checkMemory(lm, { task: 'fewshot', memoryBudget: '4GB' });
    expect(c.message).toMatch(/KV cache 12.6 MB/); // 2 * 24 * 512 * 2 * 64 * 4 = 12,582,912
    expect(c.message).toMatch(/logits 311 MB/); // 512 * 151936 * 4 = 311,164,928
  });

  it('rejects a budget that is not a size', () => {
    expect(() => checkMemory(facts(), { task: 'nli', memoryBudget: 'lots' })).toThrow(InvalidOptionsError);
  });
});

describe('checkActivity', () => {
  it('passes an active model and warns on few downloads, few likes or an old last commit', () => {
    expect(checkActivity(facts(), { now: NOW }).status).toBe('pass');
    expect(checkActivity(facts({ downloads: 10 }), { now: NOW }).message).toMatch(
      /fewer than 1000 downloads/,
    );
    expect(checkActivity(facts(), { now: NOW, minLikes: 100 }).status).toBe('warn');
    const old = checkActivity(facts({ lastModified: new Date('2022-01-01T00:00:00Z') }), { now: NOW });
    expect(old.status).toBe('warn');
    expect(old.message).toMatch(/no commit for over 24 months/);
    expect(
      checkActivity(facts({ lastModified: new Date('2022-01-01T00:00:00Z') }), {
        now: NOW,
        maxMonthsSinceUpdate: 120,
      }).status,
    ).toBe('pass');
  });

  it('fails a disabled repo and rejects negative thresholds', () => {
    expect(checkActivity(facts({ disabled: true }), { now: NOW }).status).toBe('fail');
    expect(() => checkActivity(facts(), { minDownloads: -1 })).toThrow(InvalidOptionsError);
  });
});

describe('checkSecurity', () => {
  it('passes safetensors/ONNX weights with a clean scan', () => {
    const c = checkSecurity(facts());
    expect(c.status).toBe('pass');
    expect(c.value).toEqual({ weights: ['onnx'], scan: 'clean', gated: false });
  });

  it('fails pickle-only weights unless allowPickle, which warns', () => {
    const pickle = facts({
      files: [
        { path: 'pytorch_model.bin', size: 5 },
        { path: 'model.ckpt', size: 5 },
      ],
    });
    const c = checkSecurity(pickle);
    expect(c.status).toBe('fail');
    expect(c.message).toContain('pytorch_model.bin');
    expect(checkSecurity(pickle, { allowPickle: true }).status).toBe('warn');
  });

  it('treats a missing or unfinished scan as unknown, not safe', () => {
    expect(checkSecurity(facts({ security: undefined }))).toMatchObject({
      status: 'warn',
      value: { scan: 'unknown' },
    });
    expect(checkSecurity(facts({ security: { scansDone: false, filesWithIssues: [] } }))).toMatchObject({
      status: 'warn',
      value: { scan: 'pending' },
    });
  });

  it('fails files flagged unsafe, warns on cautions, and notes gated or private repos', () => {
    const unsafe = facts({
      security: { scansDone: true, filesWithIssues: [{ path: 'x.bin', level: 'unsafe' }] },
    });
    expect(checkSecurity(unsafe).status).toBe('fail');
    const caution = facts({
      security: { scansDone: true, filesWithIssues: [{ path: 'x.bin', level: 'caution' }] },
    });
    expect(checkSecurity(caution).status).toBe('warn');
    const gated = checkSecurity(facts({ gated: 'manual' }));
    expect(gated.status).toBe('warn');
    expect(gated.message).toMatch(/gated/);
    expect(checkSecurity(facts({ private: true })).message).toMatch(/private/);
  });
});

describe('runModelChecks', () => {
  it('returns six checks in order with the worst status as verdict', () => {
    const r = runModelChecks(facts({ downloads: 3 }), { task: 'nli', memoryBudget: '4GB', now: NOW });
    expect(CHECK_NAMES).toEqual(['task', 'language', 'license', 'memory', 'activity', 'security']);
    expect(r.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
    expect(r.verdict).toBe('warn');
    expect(
      r.checks.every((c) => typeof c.rule === 'string' && c.rule.length > 0 && c.message.length > 0),
    ).toBe(true);
  });

  it('rejects bad options before looking at the facts', () => {
    expect(() => runModelChecks(facts(), { task: 'ner' as 'nli', memoryBudget: '1GB' })).toThrow(
      /use one of nli/,
    );
    expect(() => runModelChecks(facts(), { task: 'nli', memoryBudget: '-1GB' })).toThrow(/memoryBudget/);
    expect(() =>
      runModelChecks(facts(), { task: 'nli', memoryBudget: '1GB', dtype: 'int4' as 'q4' }),
    ).toThrow(/dtype/);
    expect(() => runModelChecks(facts(), { task: 'nli', memoryBudget: '1GB', batchSize: 0 })).toThrow(
      /batchSize/,
    );
    expect(() =>
      runModelChecks(facts(), { task: 'nli', memoryBudget: '1GB', minDownloads: Number.NaN }),
    ).toThrow(/minDownloads/);
    expect(() =>
      runModelChecks(facts(), {
        task: 'nli',
        memoryBudget: '1GB',
        allowLicenses: 'mit' as unknown as string[],
      }),
    ).toThrow(/allowLicenses/);
  });

  it('orders statuses fail > warn > pass', () => {
    expect(worstStatus([])).toBe('pass');
    expect(worstStatus(['pass', 'warn'])).toBe('warn');
    expect(worstStatus(['warn', 'fail', 'pass'])).toBe('fail');
  });
});

describe('parseByteSize and formatBytes', () => {
  it('reads decimal and binary units, case-insensitively', () => {
    expect(parseByteSize('4GB')).toBe(4_000_000_000);
    expect(parseByteSize('2GiB')).toBe(2_147_483_648);
    expect(parseByteSize('1.5 gb')).toBe(1_500_000_000);
    expect(parseByteSize('512MB')).toBe(512_000_000);
    expect(parseByteSize('64k')).toBe(64_000);
    expect(parseByteSize('100')).toBe(100);
    expect(parseByteSize(1024)).toBe(1024);
  });

  it('rejects nonsense with InvalidOptionsError', () => {
    for (const bad of ['', 'GB', '4XB', '-1GB', '0', 0, -3, Number.NaN, '1e9']) {
      expect(() => parseByteSize(bad as string)).toThrow(InvalidOptionsError);
    }
  });

  it('formats with three significant digits', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_630_000_000)).toBe('1.63 GB');
    expect(formatBytes(12_582_912)).toBe('12.6 MB');
    expect(formatBytes(999_600)).toBe('1 MB');
  });
});
