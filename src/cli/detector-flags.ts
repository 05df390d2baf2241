import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { Detector } from '../core/detector.js';
import {
  DETECTOR_TYPES,
  type DetectorSpec,
  type DetectorType,
  detectorSpecSchema,
} from '../detectors/detector-spec.js';
import { createEnsemble, detectorFromFile } from '../detectors/registry.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** The detector-building flags shared by `detect`, `eval`, `fit` and `serve`. */
export interface DetectorFlags {
  detectors: string;
  strategy: 'weighted-mean' | 'stacking' | 'cascade';
  model: string[];
  modelDir?: string;
  embedder?: 'hashing' | 'transformers';
  dtype?: 'fp32' | 'fp16' | 'q8' | 'q4';
  threshold?: string;
  threads?: string;
  device?: 'cpu' | 'auto' | 'gpu' | 'cuda';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds the shared detector flags to a command. */
export function addDetectorFlags(cmd: Command, defaults: { strategy: DetectorFlags['strategy'] }): Command {
  return cmd
    .option('--detectors <list>', `comma-separated detectors: ${DETECTOR_TYPES.join(', ')}`, 'heuristic')
    .addOption(
      new Option('--strategy <name>', 'how the ensemble combines detectors')
        .choices(['weighted-mean', 'stacking', 'cascade'])
        .default(defaults.strategy),
    )
    .option(
      '--model <value>',
      'NAME=ID to choose a detector model (repeatable), or a fitted.json saved by `botlens fit`',
      collect,
      [] as string[],
    )
    .option('--model-dir <dir>', 'local folder holding model folders (implies offline)')
    .addOption(
      new Option('--embedder <kind>', 'embedder of the embedding detector').choices([
        'hashing',
        'transformers',
      ]),
    )
    .addOption(new Option('--dtype <dtype>', 'model weight variant').choices(['fp32', 'fp16', 'q8', 'q4']))
    .option('--threshold <p>', 'P(bot) at or above which the label is bot')
    .option('--threads <n>', 'ONNX Runtime threads per model (default: one per core)')
    .addOption(
      new Option('--device <device>', 'where models run (auto, gpu and cuda fall back to the CPU)').choices([
        'cpu',
        'auto',
        'gpu',
        'cuda',
      ]),
    );
}

/** Splits `--model` values into a fitted-state file and NAME=ID pairs. */
export function parseModelFlags(values: readonly string[]): { fitted?: string; models: Map<string, string> } {
  const models = new Map<string, string>();
  let fitted: string | undefined;
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq > 0) {
      const name = v.slice(0, eq);
      if (!DETECTOR_TYPES.includes(name as DetectorType)) {
        throw new InvalidOptionsError(
          '--model',
          `"${name}" is not a detector; use one of ${DETECTOR_TYPES.join(', ')}`,
        );
      }
      models.set(name, v.slice(eq + 1));
    } else if (v.endsWith('.json') || existsSync(v)) {
      if (fitted) throw new InvalidOptionsError('--model', 'give at most one fitted model file');
      fitted = v;
    } else {
      throw new InvalidOptionsError('--model', `"${v}" is neither NAME=ID nor an existing fitted.json file`);
    }
  }
  return fitted === undefined ? { models } : { fitted, models };
}

/** Parses `--threshold`. */
export function parseThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Number(value);
  if (!(t >= 0 && t <= 1))
    throw new InvalidOptionsError('--threshold', `expected a number in [0, 1], got "${value}"`);
  return t;
}

/** Parses `--threads`. */
function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= 1024))
    throw new InvalidOptionsError('--threads', `expected a whole number from 1 to 1024, got "${value}"`);
  return n;
}

/** The detector specs the flags describe. */
export function specsFromFlags(flags: DetectorFlags): DetectorSpec[] {
  const { models } = parseModelFlags(flags.model);
  const names = flags.detectors
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new InvalidOptionsError('--detectors', `list at least one of ${DETECTOR_TYPES.join(', ')}`);
  const threads = parseThreads(flags.threads);
  return names.map((type) => {
    const raw = {
      type,
      ...(models.has(type) && { model: models.get(type) }),
      ...(flags.modelDir !== undefined && type !== 'heuristic' && { modelDir: flags.modelDir }),
      ...(flags.dtype !== undefined && type !== 'heuristic' && { dtype: flags.dtype }),
      ...(type === 'embedding' && flags.embedder !== undefined && { embedder: flags.embedder }),
      ...(threads !== undefined && type !== 'heuristic' && { threads }),
      ...(flags.device !== undefined && type !== 'heuristic' && { device: flags.device }),
    };
    const r = detectorSpecSchema.safeParse(raw);
    if (!r.success) {
      throw new InvalidOptionsError(
        '--detectors',
        `"${type}" is not a detector; use one of ${DETECTOR_TYPES.join(', ')}`,
      );
    }
    return r.data;
  });
}

/** Builds what the flags describe: the fitted model from `--model fitted.json`, or a new ensemble. */
export async function detectorFromFlags(flags: DetectorFlags): Promise<Detector> {
  const { fitted } = parseModelFlags(flags.model);
  if (fitted) return detectorFromFile(fitted);
  const threshold = parseThreshold(flags.threshold);
  return createEnsemble({
    strategy: flags.strategy,
    detectors: specsFromFlags(flags),
    ...(threshold !== undefined && { threshold }),
  });
}
