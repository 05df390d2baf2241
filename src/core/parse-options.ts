import type { z } from 'zod';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Parses an options object with its zod schema (defaults applied), turning the first problem into an
 * {@link InvalidOptionsError} that names the option (`labels.bot`, `contextTurns`...). The one place where
 * option schemas meet the error users see.
 *
 * @param schema - the options schema
 * @param input - the options as given
 * @throws InvalidOptionsError naming the first bad option
 * @example
 * ```ts
 * const o = parseOptions(z.object({ k: z.number().int().default(10) }), {}); // { k: 10 }
 * ```
 *
 * @internal
 */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const option = issue.path.map(String).join('.') || 'options';
  throw new InvalidOptionsError(option, issue.message);
}
