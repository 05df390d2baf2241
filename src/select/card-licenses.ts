function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * The license ids a model declares: the card metadata's `license` (a string or a list) and the repo's
 * `license:` tags, lower-cased and without duplicates.
 *
 * @param cardData - the model card's YAML metadata
 * @param tags - the repo's tags
 * @example
 * ```ts
 * cardLicenses({ license: ['mit', 'apache-2.0'] }, ['license:mit']); // ['mit', 'apache-2.0']
 * ```
 */
export function cardLicenses(cardData: Record<string, unknown>, tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const l of strings(cardData['license'])) if (l.trim() !== '') out.add(l.trim().toLowerCase());
  for (const t of tags) if (t.startsWith('license:') && t.length > 8) out.add(t.slice(8).toLowerCase());
  return [...out];
}
