/**
 * The keys a request body may have at its top level (and each transcript of a batch at its own): an unknown one
 * is a 400 naming it and the nearest valid key, so a misspelt `"timelin": true` is not dropped without a word.
 * Keys inside a message or a profile are not checked here: they are ignored, as the library ignores them.
 *
 * @module
 * @internal
 */
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
 * One issue per key of `body` that is not in `known`, each worded as the library words an option typo: `not a
 * key of a /v1/detect body; did you mean "timeline"? Its keys are ...: remove or rename it.` Nothing for a body
 * that is not an object (the transcript's validation says what it should be).
 *
 * @param body - the parsed body (or one transcript of a batch)
 * @param known - the keys it may have ({@link bodyKeys})
 * @param what - whose keys they are, for the message (`a /v1/detect body`)
 * @param at - where `body` sits in the request (`transcripts[2]`), prefixed to each issue's path; '' for the body
 */
export function unknownBodyKeys(body: unknown, known: BodyKeys, what: string, at = ''): TranscriptIssue[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const issues: TranscriptIssue[] = [];
  for (const key of Object.keys(body)) {
    if (Object.hasOwn(known, key)) continue;
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
