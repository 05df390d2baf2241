import type { PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import type { Transformers } from './load-model.js';

/** One tokenized text (or text pair), unpadded. */
export interface EncodedText {
  /** Token ids, with the model's special tokens. */
  input_ids: number[];
  /** 1 for every token (padding is added later). */
  attention_mask: number[];
  /** Segment ids (0 = first text, 1 = second), for tokenizers that use them (BERT). */
  token_type_ids?: number[];
}

/** Options for {@link encodeTexts}. */
export interface EncodeTextsOptions {
  /** Most tokens per encoded item, special tokens included. */
  maxLength: number;
  /** Second texts (one per text) to encode as pairs, e.g. NLI hypotheses. */
  pairs?: readonly string[];
}

type Row = EncodedText;

function toNumbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => Number(x)) : [];
}

function rowsOf(enc: Record<string, unknown>, n: number): Row[] {
  const ids = enc['input_ids'] as unknown[][];
  const mask = enc['attention_mask'] as unknown[][];
  const types = enc['token_type_ids'] as unknown[][] | undefined;
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const r: Row = { input_ids: toNumbers(ids[i]), attention_mask: toNumbers(mask[i]) };
    if (types) r.token_type_ids = toNumbers(types[i]);
    rows.push(r);
  }
  return rows;
}

function findRun(haystack: readonly number[], needle: readonly number[]): number {
  if (needle.length === 0) return -1;
  outer: for (let p = 0; p + needle.length <= haystack.length; p++) {
    for (let j = 0; j < needle.length; j++) if (haystack[p + j] !== needle[j]) continue outer;
    return p;
  }
  return -1;
}

function cut(row: Row, keep: (i: number) => boolean): Row {
  const pick = (a: number[]) => a.filter((_, i) => keep(i));
  const out: Row = { input_ids: pick(row.input_ids), attention_mask: pick(row.attention_mask) };
  if (row.token_type_ids) out.token_type_ids = pick(row.token_type_ids);
  return out;
}

/**
 * Shortens an encoding to `maxLength` by dropping tokens from the end of the FIRST text only, keeping the
 * special tokens and the second text whole (Hugging Face's `truncation: 'only_first'`; for a single text, the
 * same as `truncation: true`). transformers.js itself cuts the end of the whole sequence, which would drop the
 * closing special token and, for pairs, the hypothesis.
 */
function truncateFirst(row: Row, first: readonly number[], maxLength: number): Row {
  const excess = row.input_ids.length - maxLength;
  if (excess <= 0) return row;
  const start = findRun(row.input_ids, first);
  if (start >= 0) {
    const keepFirst = Math.max(0, first.length - excess);
    const end = start + first.length;
    const trimmed = cut(row, (i) => i < start + keepFirst || i >= end);
    if (trimmed.input_ids.length <= maxLength) return trimmed;
    row = trimmed;
  }
  // Degenerate cases (the second text alone is too long, or the first text was not found verbatim): cut the end.
  return cut(row, (i) => i < maxLength);
}

/**
 * Tokenizes texts (or text pairs) without padding, truncating each to `maxLength` tokens by shortening the
 * first text (see `truncateFirst`): premises are cut, hypotheses never.
 *
 * @param tokenizer - a transformers.js tokenizer
 * @param texts - the texts (premises, for pairs)
 * @param options - the length limit and optional second texts
 * @returns one unpadded encoding per text
 *
 * @example
 * ```ts
 * const rows = encodeTexts(handle.tokenizer, ['a long premise ...'], { maxLength: 512, pairs: ['This speaker is a bot.'] });
 * rows[0].input_ids.length <= 512; // true
 * ```
 */
export function encodeTexts(
  tokenizer: PreTrainedTokenizer,
  texts: readonly string[],
  options: EncodeTextsOptions,
): EncodedText[] {
  if (texts.length === 0) return [];
  const { maxLength, pairs } = options;
  if (pairs && pairs.length !== texts.length) {
    throw new Error(`botlens internal error: ${texts.length} texts but ${pairs.length} pairs`);
  }
  const full = rowsOf(
    tokenizer([...texts], {
      ...(pairs ? { text_pair: [...pairs] } : {}),
      padding: false,
      truncation: false,
      return_tensor: false,
    }) as unknown as Record<string, unknown>,
    texts.length,
  );
  const long = full.map((r, i) => (r.input_ids.length > maxLength ? i : -1)).filter((i) => i >= 0);
  if (long.length > 0) {
    const firsts = rowsOf(
      tokenizer(
        long.map((i) => texts[i]!),
        { add_special_tokens: false, padding: false, truncation: false, return_tensor: false },
      ) as unknown as Record<string, unknown>,
      long.length,
    );
    long.forEach((i, j) => {
      full[i] = truncateFirst(full[i]!, firsts[j]!.input_ids, maxLength);
    });
  }
  return full;
}

/**
 * Counts the tokens of each text, without special tokens.
 *
 * @param tokenizer - a transformers.js tokenizer
 * @param texts - the texts
 * @example
 * ```ts
 * countTokens(handle.tokenizer, ['hello world']); // [2]
 * ```
 */
export function countTokens(tokenizer: PreTrainedTokenizer, texts: readonly string[]): number[] {
  if (texts.length === 0) return [];
  const enc = tokenizer([...texts], {
    add_special_tokens: false,
    padding: false,
    truncation: false,
    return_tensor: false,
  }) as unknown as Record<string, unknown>;
  return (enc['input_ids'] as unknown[][]).map((r) => r.length);
}

/** The padding token id of a tokenizer (its pad token, else its end-of-sequence token, else 0). */
export function padTokenId(tokenizer: PreTrainedTokenizer): number {
  const t = tokenizer as unknown as { pad_token_id?: number | null; eos_token_id?: number | null };
  if (typeof t.pad_token_id === 'number') return t.pad_token_id;
  if (typeof t.eos_token_id === 'number') return t.eos_token_id;
  return 0;
}

/** The side a tokenizer pads on (its `padding_side`; right unless it says left). */
export function paddingSide(tokenizer: PreTrainedTokenizer): 'left' | 'right' {
  return (tokenizer as unknown as { padding_side?: string }).padding_side === 'left' ? 'left' : 'right';
}

/** Options for {@link padToTensors}. */
export interface PadOptions {
  /** The id that fills `input_ids` padding. */
  padId: number;
  /**
   * Which side gets the padding.
   * @defaultValue 'right'
   */
  side?: 'left' | 'right';
  /** Keep only these inputs (the ONNX session's input names); others are dropped. */
  inputNames?: readonly string[];
}

/**
 * Pads encodings to the longest one and packs them into int64 tensors made by the library's own `Tensor` class
 * (the only kind its models accept). `token_type_ids` is included when the encodings have it, or filled with
 * zeros when `inputNames` asks for it.
 *
 * @param T - the transformers.js module from `loadTransformers()`
 * @param rows - the encodings of one batch
 * @param options - padding id and side, and which inputs to keep
 * @returns `{ input_ids, attention_mask, token_type_ids? }`, each `[rows.length, longest]`
 *
 * @example
 * ```ts
 * const feeds = padToTensors(T, encodeTexts(tok, texts, { maxLength: 512 }), { padId: 0 });
 * const out = await model(feeds);
 * ```
 */
export function padToTensors(
  T: Transformers,
  rows: readonly EncodedText[],
  options: PadOptions,
): Record<string, Tensor> {
  const n = rows.length;
  const len = Math.max(1, ...rows.map((r) => r.input_ids.length));
  const left = options.side === 'left';
  const names = options.inputNames;
  const wantTypes = names ? names.includes('token_type_ids') : rows.some((r) => r.token_type_ids);
  const ids = new BigInt64Array(n * len).fill(BigInt(options.padId));
  const mask = new BigInt64Array(n * len);
  const types = wantTypes ? new BigInt64Array(n * len) : undefined;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const off = i * len + (left ? len - r.input_ids.length : 0);
    for (let j = 0; j < r.input_ids.length; j++) {
      ids[off + j] = BigInt(r.input_ids[j]!);
      mask[off + j] = BigInt(r.attention_mask[j] ?? 1);
      if (types && r.token_type_ids) types[off + j] = BigInt(r.token_type_ids[j] ?? 0);
    }
  }
  const feeds: Record<string, Tensor> = {
    input_ids: new T.Tensor('int64', ids, [n, len]),
    attention_mask: new T.Tensor('int64', mask, [n, len]),
  };
  if (types) feeds['token_type_ids'] = new T.Tensor('int64', types, [n, len]);
  if (names) {
    for (const k of Object.keys(feeds)) if (!names.includes(k)) delete feeds[k];
  }
  return feeds;
}

/**
 * The longest input a model takes: the smallest of the tokenizer's `model_max_length` and the config's
 * `max_position_embeddings` (or `text_config.max_position_embeddings` for CLIP), capped by `cap` when given.
 *
 * @param tokenizer - the tokenizer
 * @param config - the parsed config.json
 * @param cap - an optional user limit
 * @example
 * ```ts
 * modelMaxLength(handle.tokenizer, handle.config); // 512 for BERT
 * ```
 */
export function modelMaxLength(
  tokenizer: PreTrainedTokenizer,
  config: Record<string, unknown>,
  cap?: number,
): number {
  const candidates: number[] = [];
  const tml = (tokenizer as unknown as { model_max_length?: number }).model_max_length;
  if (typeof tml === 'number' && Number.isFinite(tml) && tml > 0 && tml < 1e7) candidates.push(tml);
  const textConfig = config['text_config'];
  const mpe =
    typeof textConfig === 'object' && textConfig !== null
      ? (textConfig as Record<string, unknown>)['max_position_embeddings']
      : config['max_position_embeddings'];
  if (typeof mpe === 'number' && mpe > 0) candidates.push(mpe);
  if (cap !== undefined) candidates.push(cap);
  return candidates.length > 0 ? Math.min(...candidates) : 512;
}
