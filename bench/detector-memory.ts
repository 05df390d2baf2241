/**
 * Resident memory (process.memoryUsage().rss) after loading each model-backed detector on the fixtures and the
 * bench encoder. Each detector is measured in a fresh child process: RSS after importing transformers.js
 * (baseline), after loading the model, and after one detection (ONNX Runtime allocates its arenas on the first
 * run). Numbers are deltas over the baseline. Detectors that load their model on first use (perplexity,
 * few-shot) are loaded by one detection on a one-message transcript.
 *
 *   npx tsx bench/detector-memory.ts
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detector } from '../src/core/detector.js';
import type { Transcript } from '../src/core/transcript.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const tiny = join(shared, 'fixtures/hf-tiny');
const bench = join(shared, 'fixtures/bench/bench-minilm-l6');

const transcript: Transcript = {
  target: 'b',
  messages: Array.from({ length: 20 }, (_, i) => ({
    speaker: i % 2 ? 'b' : 'a',
    text: i % 2 ? 'Hello ! I am fine . What do you do for fun ?' : 'i went hiking with my dogs today',
  })),
  profile: { bio: 'dog lover and hiker', avatar: join(tiny, 'clip-image-0.png') },
};

/** A one-message transcript, to make the lazily loaded detectors load their model. */
const short: Transcript = { target: 'b', messages: [{ speaker: 'b', text: 'Hello ! How are you ?' }] };

interface Case {
  label: string;
  load: () => Promise<{ run: () => Promise<unknown>; dispose: () => Promise<void> }>;
}

/** A detector case: `make` builds the detector and loads its model; the run judges the 20-message transcript. */
function detectorCase(label: string, make: () => Promise<Detector>): Case {
  return {
    label,
    load: async () => {
      const d = await make();
      return { run: () => d.detect(transcript), dispose: async () => await d.dispose?.() };
    },
  };
}

const CASES: Record<string, Case> = {
  'nli-bart': detectorCase('NliZeroShotDetector, tiny-bart-nli fp32', async () => {
    const { NliZeroShotDetector } = await import('../src/detectors/nli/nli-zero-shot-detector.js');
    const d = new NliZeroShotDetector({ model: join(tiny, 'tiny-bart-nli') });
    await d.nliScorer.info();
    return d;
  }),
  'nli-bert-q8': detectorCase('NliZeroShotDetector, tiny-bert-nli q8', async () => {
    const { NliZeroShotDetector } = await import('../src/detectors/nli/nli-zero-shot-detector.js');
    const d = new NliZeroShotDetector({ model: join(tiny, 'tiny-bert-nli'), dtype: 'q8' });
    await d.nliScorer.info();
    return d;
  }),
  clip: detectorCase('ClipConsistencyDetector, tiny-clip fp32', async () => {
    const { ClipConsistencyDetector } = await import('../src/detectors/clip/clip-consistency-detector.js');
    const d = new ClipConsistencyDetector({ model: join(tiny, 'tiny-clip') });
    await d.clipEncoder.load();
    return d;
  }),
  perplexity: detectorCase('PerplexityDiversityDetector, tiny-gpt2 fp32', async () => {
    const { PerplexityDiversityDetector } = await import(
      '../src/detectors/perplexity/perplexity-diversity-detector.js'
    );
    const d = new PerplexityDiversityDetector({ model: join(tiny, 'tiny-gpt2') });
    await d.detect(short); // the model loads on first use
    return d;
  }),
  fewshot: detectorCase('FewShotPromptDetector, tiny-gpt2 fp32, 3 examples', async () => {
    const { FewShotPromptDetector } = await import('../src/detectors/few-shot/few-shot-prompt-detector.js');
    const d = new FewShotPromptDetector({
      model: join(tiny, 'tiny-gpt2'),
      examples: [
        { ...short, label: 'bot' },
        { ...short, label: 'human' },
        { ...short, label: 'bot' },
      ],
    });
    await d.detect(short);
    return d;
  }),
  lora: detectorCase('LoraClassifierDetector, tiny-bert-cls + LoRA adapter', async () => {
    const { LoraClassifierDetector } = await import('../src/detectors/lora/lora-classifier-detector.js');
    const d = new LoraClassifierDetector({
      model: join(tiny, 'tiny-bert-cls'),
      adapters: [join(tiny, 'tiny-bert-cls-lora')],
      cacheDir: mkdtempSync(join(tmpdir(), 'botlens-mem-')),
    });
    await d.load();
    return d;
  }),
  'embedder-bench': {
    label: 'TransformersEmbedder, bench-minilm-l6 fp32 (46 MB)',
    load: async () => {
      const { TransformersEmbedder } = await import('../src/runtime/transformers-embedder.js');
      const e = new TransformersEmbedder({ model: bench, batchSize: 64 });
      await e.load();
      const texts = transcript.messages
        .map((m) => m.text)
        .concat(transcript.messages.map((m) => m.text))
        .slice(0, 64);
      return { run: () => e.embed(texts), dispose: () => e.dispose() };
    },
  },
};

const mb = (b: number) => (b / 2 ** 20).toFixed(1);

async function child(name: string): Promise<void> {
  const c = CASES[name]!;
  const { loadTransformers } = await import('../src/runtime/load-model.js');
  await loadTransformers();
  global.gc?.();
  const base = process.memoryUsage().rss;
  const h = await c.load();
  const loaded = process.memoryUsage().rss;
  await h.run();
  const ran = process.memoryUsage().rss;
  await h.dispose();
  global.gc?.();
  const freed = process.memoryUsage().rss;
  process.send?.({ base, loaded, ran, freed }, () => process.exit(0));
}

async function parent(): Promise<void> {
  if (!existsSync(tiny) || !existsSync(bench)) {
    console.error(`The fixtures are not in ${shared}.`);
    process.exit(1);
  }
  console.log(
    `${'detector'.padEnd(52)} ${'baseline'.padStart(9)} ${'+load'.padStart(8)} ${'+1 run'.padStart(8)} ${'after dispose'.padStart(14)}  (MiB)`,
  );
  for (const name of Object.keys(CASES)) {
    const r = await new Promise<Record<string, number>>((resolveRun, reject) => {
      const p = fork(fileURLToPath(import.meta.url), [name], {
        execArgv: [...process.execArgv, '--expose-gc'],
      });
      p.on('message', (m) => resolveRun(m as Record<string, number>));
      p.on('error', reject);
      p.on('exit', (code) => code && reject(new Error(`${name} exited with ${code}`)));
    });
    console.log(
      `${CASES[name]!.label.padEnd(52)} ${mb(r['base']!).padStart(9)} ${`+${mb(r['loaded']! - r['base']!)}`.padStart(8)} ${`+${mb(r['ran']! - r['base']!)}`.padStart(8)} ${`+${mb(r['freed']! - r['base']!)}`.padStart(14)}`,
    );
  }
}

const arg = process.argv[2];
if (arg && arg in CASES) await child(arg);
else await parent();
