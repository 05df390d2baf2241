/**
 * Misspelt keys at the top of a request body (and of each transcript of a batch): a key that reads as a typo of
 * a body key (`"timelin"`, `"Target"`, `"mesages"`: see {@link looksMisspelt}) is a 400 naming it and the key it
 * resembles, so a misspelt `"timelin": true` is not dropped without a word. Any other key is ignored, as the
 * library ignores a transcript's other keys, so a corpus row posted as it is (with its `label`, `id` or
 * `source`) is answered. Keys inside a message or a profile are not checked here: they are ignored too.
 *
 * @module
 * @internal
 */
import { editDistance } from '../core/edit-distance.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { TranscriptIssue } from '../errors/invalid-transcript-error.js';

/** The keys a body may have, as {@link unknownBodyKeys} takes them: made once, by {@link bodyKeys}. */
export type BodyKeys = OptionKeys<Record<string, unknown>>;

/**
 * The keys a body may have, for {@link unknownBodyKeys}.
 *
 * @param known - the keys, in the order the error lists them
 */
export function bodyKeys(known: readonly string[]): BodyKeys {
  return Object.freeze(Object.fromEntries(known.map((k) => [k, true as const]))) as BodyKeys;
}

/**
 * Whether `key` (not one of `known`) reads as a misspelling of one of them: the same letters in another case, or
 * at most one edit away (two for keys of six letters or more) in lower case. `label`, `id`, `source`, `speakers`
 * are not near any body key; `timelin`, `mesages`, `Target`, `profil`, `transcript` are.
 *
 * @param key - a key of the body that is not a body key
 * @param known - the body keys
 */
export function looksMisspelt(key: string, known: readonly string[]): boolean {
  const k = key.toLowerCase();
  return known.some((name) => editDistance(k, name.toLowerCase()) <= (name.length >= 6 ? 2 : 1));
}

/**
 * One issue per key of `body` that reads as a misspelt body key ({@link looksMisspelt}), each worded as the
 * library words an option typo: `not a key of a /v1/detect body; did you mean "timeline"? Its keys are ...:
 * remove or rename it.` Other unknown keys are ignored. Nothing for a body that is not an object (the
 * transcript's validation says what it should be).
 *
 * @param body - the parsed body (or one transcript of a batch)
 * @param known - the keys it may have ({@link bodyKeys})
 * @param what - whose keys they are, for the message (`a /v1/detect body`)
 * @param at - where `body` sits in the request (`transcripts[2]`), prefixed to each issue's path; '' for the body
 */
export function unknownBodyKeys(body: unknown, known: BodyKeys, what: string, at = ''): TranscriptIssue[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const issues: TranscriptIssue[] = [];
  const names = Object.keys(known);
  for (const key of Object.keys(body)) {
    if (Object.hasOwn(known, key) || !looksMisspelt(key, names)) continue;
    try {
      refuseUnknownKeys({ [key]: true }, known, what);
    } catch (err) {
      if (!InvalidOptionsError.isInstance(err)) throw err;
      issues.push({
        path: at === '' ? key : `${at}.${key}`,
        message: err.message.slice(`Invalid option "${err.option}": `.length),
      });
    }
  }
  return issues;
}
