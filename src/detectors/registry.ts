import { readFile } from 'node:fs/promises';
import type { Detector, DetectorState } from '../core/detector.js';
import type { Ensemble } from '../ensemble/ensemble.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { pickModelOptions } from '../runtime/model-options.js';
import type { DetectorSpec, EnsembleSpec } from './detector-spec.js';

/**
 * Builds a built-in detector from a {@link DetectorSpec} (what config files and CLI flags describe).
 * Detector modules are imported on demand, so building a heuristic-only ensemble loads no model code.
 *
 * @param spec - detector type and model settings
 * @example
 * ```ts
 * const d = await createDetector({ type: 'embedding', embedder: 'hashing' });
 * ```
 */
export async function createDetector(spec: DetectorSpec): Promise<Detector> {
  const model = pickModelOptions(spec);
  const common = {
    ...(spec.name !== undefined && { name: spec.name }),
    ...(spec.threshold !== undefined && { threshold: spec.threshold }),
  };
  switch (spec.type) {
    case 'heuristic': {
      const { HeuristicDetector } = await import('./heuristic/heuristic-detector.js');
      return new HeuristicDetector(common);
    }
    case 'nli': {
      const { NliZeroShotDetector } = await import('./nli-zero-shot.js');
      return new NliZeroShotDetector({ ...model, ...common });
    }
    case 'fewshot': {
      const { FewShotPromptDetector } = await import('./few-shot-prompt.js');
      return new FewShotPromptDetector({ ...model, ...common });
    }
    case 'perplexity': {
      const { PerplexityDiversityDetector } = await import('./perplexity-diversity.js');
      return new PerplexityDiversityDetector({ ...model, ...common });
    }
    case 'clip': {
      const { ClipConsistencyDetector } = await import('./clip-consistency.js');
      return new ClipConsistencyDetector({ ...model, ...common });
    }
    case 'lora': {
      const { LoraClassifierDetector } = await import('./lora-classifier.js');
      return new LoraClassifierDetector({ ...model, ...common });
    }
    case 'embedding': {
      const { EmbeddingCentroidDetector } = await import('./embedding/embedding-centroid-detector.js');
      if (spec.embedder === 'hashing') {
        const { HashingEmbedder } = await import('../runtime/hashing-embedder.js');
        return new EmbeddingCentroidDetector({ ...common, embedder: new HashingEmbedder() });
      }
      const { TransformersEmbedder } = await import('../runtime/transformers-embedder.js');
      return new EmbeddingCentroidDetector({ ...common, embedder: new TransformersEmbedder(model) });
    }
  }
}

/**
 * Loads a detector (or a whole ensemble) saved as JSON, e.g. by `botlens fit --out fitted.json` or
 * `writeFile(path, JSON.stringify(detector.toJSON()))`.
 *
 * @param path - the JSON file
 * @throws BotlensError with code `READ_FAILED` when the file cannot be read or parsed;
 *   InvalidOptionsError when it holds no saved detector state
 * @example
 * ```ts
 * const detector = await detectorFromFile('fitted.json');
 * const d = await detector.detect(transcript);
 * ```
 */
export async function detectorFromFile(path: string): Promise<Detector> {
  let state: unknown;
  try {
    state = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new BotlensError(
      'READ_FAILED',
      `Cannot read the saved detector ${path}: give a JSON file written by \`botlens fit --out\` or by toJSON().`,
      { cause },
    );
  }
  if (typeof state !== 'object' || state === null || typeof (state as DetectorState).kind !== 'string') {
    throw new InvalidOptionsError('path', `${path} is not a saved detector state (it has no "kind")`);
  }
  return detectorFromState(state as DetectorState);
}

/**
 * Restores a built-in detector (or a whole ensemble) from the state its `toJSON()` produced.
 *
 * @param state - a saved {@link DetectorState}
 * @throws InvalidOptionsError when `state.kind` names no built-in detector
 * @example
 * ```ts
 * const d = await detectorFromState(JSON.parse(await readFile('fitted.json', 'utf8')));
 * ```
 */
export async function detectorFromState(state: DetectorState): Promise<Detector> {
  switch (state.kind) {
    case 'heuristic': {
      const { HeuristicDetector } = await import('./heuristic/heuristic-detector.js');
      return HeuristicDetector.fromJSON(state);
    }
    case 'ensemble': {
      const { Ensemble } = await import('../ensemble/ensemble.js');
      return Ensemble.fromJSON(state, { resolve: detectorFromState });
    }
    case 'nli': {
      const { NliZeroShotDetector } = await import('./nli-zero-shot.js');
      return NliZeroShotDetector.fromJSON(state);
    }
    case 'fewshot': {
      const { FewShotPromptDetector } = await import('./few-shot-prompt.js');
      return FewShotPromptDetector.fromJSON(state);
    }
    case 'perplexity': {
      const { PerplexityDiversityDetector } = await import('./perplexity-diversity.js');
      return PerplexityDiversityDetector.fromJSON(state);
    }
    case 'clip': {
      const { ClipConsistencyDetector } = await import('./clip-consistency.js');
      return ClipConsistencyDetector.fromJSON(state);
    }
    case 'lora': {
      const { LoraClassifierDetector } = await import('./lora-classifier.js');
      return LoraClassifierDetector.fromJSON(state);
    }
    case 'embedding': {
      const { EmbeddingCentroidDetector } = await import('./embedding/embedding-centroid-detector.js');
      return EmbeddingCentroidDetector.fromJSON(state);
    }
    default:
      throw new InvalidOptionsError(
        'kind',
        `saved state has kind "${String(state.kind)}", which is not a built-in detector (heuristic, ensemble, nli, fewshot, perplexity, clip, lora, embedding)`,
      );
  }
}

/**
 * Builds an {@link Ensemble} of built-in detectors from an {@link EnsembleSpec}.
 *
 * @example
 * ```ts
 * const ens = await createEnsemble({ strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] });
 * ```
 */
export async function createEnsemble(spec: EnsembleSpec): Promise<Ensemble> {
  const { Ensemble } = await import('../ensemble/ensemble.js');
  const detectors = await Promise.all(spec.detectors.map(createDetector));
  const names = new Set<string>();
  for (const d of detectors) {
    if (names.has(d.name)) {
      throw new InvalidOptionsError(
        'detectors',
        `two detectors are named "${d.name}": give one a different "name"`,
      );
    }
    names.add(d.name);
  }
  return new Ensemble(detectors, {
    strategy: spec.strategy,
    ...(spec.threshold !== undefined && { threshold: spec.threshold }),
    ...(spec.weights !== undefined && { weights: spec.weights }),
  });
}
