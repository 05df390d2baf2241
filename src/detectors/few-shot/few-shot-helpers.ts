import { describeValue } from '../../core/describe-value.js';
import type { DetectorState } from '../../core/detector.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { ValidTranscript } from '../../core/transcript.js';
import { targetMessages } from '../../core/validate.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { CausalLmScorer } from '../../runtime/causal-lm-scorer.js';
import type { Embedder } from '../../runtime/embedder.js';
import { transformersOptionsFromId } from '../../runtime/embedder-id.js';
import { HashingEmbedder } from '../../runtime/hashing-embedder.js';
import {
  deserializeModelOptions,
  type ModelRelocation,
  relocateSavedModelOptions,
} from '../../runtime/model-options.js';
import { TransformersEmbedder } from '../../runtime/transformers-embedder.js';
import type { FewShotPromptOptions, PoolItem } from './few-shot-options.js';
import { type AnswerWords, type ChatMessage, chatMessages, type PromptParts } from './prompt-format.js';

/** The tokenizer of a causal LM. @internal */
export type ChatTokenizer = Awaited<ReturnType<CausalLmScorer['load']>>['tokenizer'];

/**
 * A renderer through the tokenizer's chat template. Some templates refuse a system message (they raise
 * "System role not supported"); then the instruction opens the first user turn instead.
 */
export function chatRenderer(
  tokenizer: ChatTokenizer,
  sample: PromptParts,
  words: AnswerWords,
): (p: PromptParts) => string {
  const apply = (msgs: ChatMessage[]) =>
    tokenizer.apply_chat_template(msgs, { tokenize: false, add_generation_prompt: true }) as string;
  const withSystem = (p: PromptParts) => apply(chatMessages(p, words));
  const merged = (p: PromptParts) => {
    const [system, first, ...rest] = chatMessages(p, words);
    return apply([{ role: 'user', content: `${system!.content}\n\n${first!.content}` }, ...rest]);
  };
  try {
    withSystem(sample);
    return withSystem;
  } catch {
    try {
      merged(sample);
      return merged;
    } catch (cause) {
      throw new InvalidOptionsError(
        'chatTemplate',
        `the tokenizer's chat template failed (${cause instanceof Error ? cause.message : String(cause)}): set chatTemplate: "never" to use a plain prompt`,
        { cause },
      );
    }
  }
}

export function hasChatTemplate(tokenizer: { chat_template?: unknown }): boolean {
  const t = tokenizer.chat_template;
  return (
    (typeof t === 'string' && t.trim() !== '') ||
    (Array.isArray(t) && t.length > 0) ||
    (typeof t === 'object' && t !== null && Object.keys(t).length > 0)
  );
}

/** Up to `k` items alternating human, bot, human, ... in input order; a label that runs out is filled by the other. */
export function balancedOrder(items: readonly PoolItem[], k: number): PoolItem[] {
  const humans = items.filter((p) => p.label === 'human');
  const bots = items.filter((p) => p.label === 'bot');
  const out: PoolItem[] = [];
  let h = 0;
  let b = 0;
  while (out.length < k && (h < humans.length || b < bots.length)) {
    const wantHuman = out.length % 2 === 0;
    if ((wantHuman && h < humans.length) || b >= bots.length) out.push(humans[h++]!);
    else out.push(bots[b++]!);
  }
  return out;
}

export function targetText(t: ValidTranscript): string {
  return targetMessages(t)
    .map((m) => m.text)
    .join('\n');
}

export function serializeExample(p: PoolItem): JsonObject {
  const messages: JsonValue[] = p.t.messages.map((m) => {
    const out: JsonObject = { speaker: m.speaker, text: m.text };
    if (m.timestamp !== undefined) out['timestamp'] = m.timestamp;
    return out;
  });
  return { target: p.t.target, label: p.label, messages };
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * Rebuilds the embedder a saved few-shot state names: a hashing embedder from its id, else a transformers.js
 * embedder with the id's settings, its model where the state recorded it (`source`, relocated by `relocation`),
 * or, for states without a recorded source, found where the detector's own model is (`modelDir`, `offline`,
 * `cacheDir`).
 */
export function embedderFromSavedId(
  id: string,
  where: FewShotPromptOptions,
  source?: unknown,
  relocation: ModelRelocation = {},
): Embedder {
  const hashing = HashingEmbedder.fromId(id);
  if (hashing) return hashing;
  if (source !== undefined && source !== null) {
    return new TransformersEmbedder({
      ...transformersOptionsFromId(id, 'state.embedder'),
      ...relocateSavedModelOptions(source, relocation),
    });
  }
  return new TransformersEmbedder({
    ...transformersOptionsFromId(id, 'state.embedder'),
    ...(where.modelDir !== undefined && { modelDir: where.modelDir }),
    ...(where.offline !== undefined && { offline: where.offline }),
    ...(where.cacheDir !== undefined && { cacheDir: where.cacheDir }),
    ...(where.threads !== undefined && { threads: where.threads }),
    ...(where.device !== undefined && { device: where.device }),
  });
}

/**
 * The detector options a saved few-shot state holds (model, prompt and scoring settings), each checked for its
 * type.
 *
 * @param state - the saved state
 * @throws InvalidOptionsError naming a field of the wrong type
 * @internal
 */
export function optionsFromState(state: DetectorState): FewShotPromptOptions {
  const opts: FewShotPromptOptions = { ...deserializeModelOptions(state['model']) };
  const pick = <K extends keyof FewShotPromptOptions>(k: K, type: 'string' | 'number' | 'boolean') => {
    const v = state[k as string];
    if (v === undefined || v === null) return;
    if (typeof v !== type)
      throw new InvalidOptionsError(`state.${String(k)}`, `expected a ${type}, got ${describeValue(v)}`);
    opts[k] = v as FewShotPromptOptions[K];
  };
  pick('name', 'string');
  pick('threshold', 'number');
  pick('shots', 'number');
  pick('scoring', 'string');
  pick('maxPool', 'number');
  pick('anonymize', 'boolean');
  pick('maxMessageChars', 'number');
  pick('chatTemplate', 'string');
  pick('contextTokens', 'number');
  pick('instruction', 'string');
  const w = state['words'];
  if (w !== undefined) {
    if (typeof w !== 'object' || w === null || Array.isArray(w))
      throw new InvalidOptionsError('state.words', 'expected { bot, human }');
    opts.words = {};
    if (typeof w['bot'] === 'string') opts.words.bot = w['bot'];
    if (typeof w['human'] === 'string') opts.words.human = w['human'];
  }
  return opts;
}
