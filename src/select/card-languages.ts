function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** ISO 639-1 codes: the two-letter tags the hub adds from a card's languages (`tf`, say, is a framework). */
const ISO_639_1 = new Set(
  [
    'aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da',
    'de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz',
    'ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln',
    'lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi',
    'pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti',
    'tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu',
  ]
    .join(' ')
    .split(' '),
);

/**
 * The languages a model declares: the card metadata's `language` (a string or a list) and the repo's
 * ISO 639-1 language tags (the hub adds them from the card), plus `multilingual` when the card or the tags say
 * so. Lower-cased, without duplicates.
 *
 * @param cardData - the model card's YAML metadata
 * @param tags - the repo's tags
 * @example
 * ```ts
 * cardLanguages({ language: 'en' }, ['en', 'transformers']); // ['en']
 * cardLanguages({ language: ['multilingual', 'de'] }, []); // ['multilingual', 'de']
 * ```
 */
export function cardLanguages(cardData: Record<string, unknown>, tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const l of strings(cardData['language'])) if (l.trim() !== '') out.add(l.trim().toLowerCase());
  for (const t of tags) {
    const tag = t.toLowerCase();
    if (ISO_639_1.has(tag) || tag === 'multilingual') out.add(tag);
  }
  return [...out];
}
