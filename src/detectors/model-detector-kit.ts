/**
 * The parts every model-backed detector (CLIP, NLI, LoRA, few-shot, perplexity, linear probe) shares around its
 * own scoring: splitting its options from the model's, and the saved state's model half (the head, the model
 * options and the batching keys) written by `toJSON()` and read back by `fromJSON()`.
 *
 * @internal
 * @packageDocumentation
 */
import type { DetectorState } from '../core/detector.js';
import {
  checkState,
  definedFields,
  fieldsOfType,
  type StateFormat,
  stateHead,
} from '../core/detector-kit.js';
import type { JsonObject } from '../core/json.js';
import { SAVED_BATCH_KEYS } from '../runtime/batching.js';
import {
  deserializeModelOptions,
  type ModelOptions,
  serializeModelOptions,
} from '../runtime/model-options.js';

/**
 * `options` without the detector's own `keys`: what it hands on to its model runtime (encoder, scorer).
 *
 * @param options - the detector's options
 * @param keys - the options the detector itself reads
 *
 * @internal
 */
export function withoutKeys<T extends object, K extends keyof T>(options: T, keys: readonly K[]): Omit<T, K> {
  const rest: Partial<T> = { ...options };
  for (const k of keys) delete rest[k];
  return rest as Omit<T, K>;
}

/** What {@link modelDetectorState} saves besides the detector's own fields. @internal */
export interface SavedModel {
  /** The model options (saved as `model`). */
  model: ModelOptions;
  /** Options whose batching keys (`batchSize`, `maxBatchTokens`, `maxLength`) are saved when set. */
  batching?: Partial<Record<(typeof SAVED_BATCH_KEYS)[number], number>>;
}

/**
 * The state a model-backed detector's `toJSON()` writes: the head (kind, version, name, threshold), then its own
 * `fields`, then the model options as `model`, then the batching keys that are set.
 *
 * @param format - the detector type's state format
 * @param detector - its name and threshold
 * @param fields - its own fields, in the order they are written
 * @param saved - the model options and the batching options
 *
 * @internal
 */
export function modelDetectorState(
  format: StateFormat,
  detector: { readonly name: string; readonly threshold: number },
  fields: JsonObject,
  saved: SavedModel,
): DetectorState {
  return {
    ...stateHead(format.kind, format.version, detector.name, detector.threshold),
    ...fields,
    model: serializeModelOptions(saved.model) as JsonObject,
    ...(saved.batching && definedFields(saved.batching, SAVED_BATCH_KEYS)),
  };
}

/**
 * The options a model-backed detector's `fromJSON()` reads back from a state written by
 * {@link modelDetectorState}, after checking its head: the model options, `name` and `threshold`, the batching
 * keys, and the detector's own string and number fields named.
 *
 * @param state - the saved state
 * @param format - the detector type's state format
 * @param own - the detector's own string and number fields to read
 * @throws InvalidOptionsError when the state is not of this format
 *
 * @internal
 */
export function readModelDetectorOptions<S extends string = never, N extends string = never>(
  state: DetectorState,
  format: StateFormat,
  own: { strings?: readonly S[]; numbers?: readonly N[] } = {},
): ModelOptions &
  Partial<Record<'name' | S, string>> &
  Partial<Record<'threshold' | N | (typeof SAVED_BATCH_KEYS)[number], number>> {
  checkState(state, format);
  const strings: readonly ('name' | S)[] = ['name', ...(own.strings ?? [])];
  const numbers: readonly ('threshold' | N | (typeof SAVED_BATCH_KEYS)[number])[] = [
    'threshold',
    ...(own.numbers ?? []),
    ...SAVED_BATCH_KEYS,
  ];
  return {
    ...deserializeModelOptions(state['model']),
    ...fieldsOfType(state, 'string', strings),
    ...fieldsOfType(state, 'number', numbers),
  };
}

/**
 * The fields among `keys` of type `type` in the object a saved state holds at `key` (e.g. NLI's `labels`), or
 * `undefined` when the state holds no object there; fields of another type are skipped.
 *
 * @param state - the saved state
 * @param key - the field holding the object
 * @param type - the type of the fields to keep
 * @param keys - the fields to read
 *
 * @internal
 */
export function nestedFieldsOfType<K extends string, T extends 'number' | 'string'>(
  state: DetectorState,
  key: string,
  type: T,
  keys: readonly K[],
): Partial<Record<K, T extends 'number' ? number : string>> | undefined {
  const value = state[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return fieldsOfType(value, type, keys);
}
