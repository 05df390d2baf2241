import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';

/** Tokenizer pairs already found to share a vocabulary: `crossScores` asks on every call, the answer never changes. */
const sameVocabulary = new WeakMap<object, WeakSet<object>>();

/**
 * Throws unless the two tokenizers have the same vocabulary (every token string maps to the same id), which
 * two-model scores such as Binoculars need. A pair that passed once is not compared again.
 *
 * @param a - first tokenizer (anything with `get_vocab()`)
 * @param b - second tokenizer
 * @param nameA - its model name, for the message
 * @param nameB - its model name, for the message
 * @throws InvalidOptionsError naming the first difference
 *
 * @example
 * ```ts
 * assertSameVocabulary(gpt2.tokenizer, distilgpt2.tokenizer, 'Xenova/gpt2', 'Xenova/distilgpt2'); // passes
 * ```
 */
export function assertSameVocabulary(
  a: Pick<PreTrainedTokenizer, 'get_vocab'>,
  b: Pick<PreTrainedTokenizer, 'get_vocab'>,
  nameA: string,
  nameB: string,
): void {
  if (a === b || sameVocabulary.get(a)?.has(b)) return;
  const va = a.get_vocab();
  const vb = b.get_vocab();
  const fail = (why: string) =>
    new InvalidOptionsError(
      'observer',
      `${nameA} and ${nameB} do not share a tokenizer (${why}); Binoculars needs two models of one family, e.g. Xenova/gpt2 with Xenova/distilgpt2`,
    );
  if (va.size !== vb.size) throw fail(`${va.size} vs ${vb.size} tokens`);
  for (const [tok, id] of va) {
    if (vb.get(tok) !== id)
      throw fail(`token ${JSON.stringify(tok)} is ${id} in one and ${String(vb.get(tok))} in the other`);
  }
  const checked = sameVocabulary.get(a) ?? new WeakSet<object>();
  checked.add(b);
  sameVocabulary.set(a, checked);
}
