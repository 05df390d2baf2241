import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { cardLanguages } from './card-languages.js';
import type { ModelCheck, ModelFacts } from './types.js';
import type { ModelChecklistOptions } from './validate-checklist-options.js';

/** Options for `checkLanguage`. */
export type CheckLanguageOptions = Pick<ModelChecklistOptions, 'languages'>;

function primary(tag: string): string {
  return tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

/**
 * Language: the model card's languages (or, when it lists none, its base model's) must include every requested
 * language. A card that says `multilingual` covers any language; a card that declares none warns.
 *
 * @param facts - what the hub said about the model
 * @param options - the requested languages
 * @throws InvalidOptionsError when a requested language is not a non-empty string
 * @example
 * ```ts
 * checkLanguage(facts, { languages: ['en'] }).status; // 'pass' when the card lists en
 * ```
 */
export function checkLanguage(facts: ModelFacts, options: CheckLanguageOptions = {}): ModelCheck {
  const requested = (options.languages ?? []).map((l) => {
    if (typeof l !== 'string' || primary(l) === '') {
      throw new InvalidOptionsError(
        'languages',
        `expected language codes such as "en" or "pt-BR", got ${describeValue(l)}`,
      );
    }
    return primary(l);
  });
  let declared = cardLanguages(facts.cardData, facts.tags);
  let from = 'its card';
  if (declared.length === 0 && facts.baseModel && facts.baseModel.languages.length > 0) {
    declared = facts.baseModel.languages;
    from = `the card of its base model ${facts.baseModel.id}`;
  }
  const From = `${from[0]!.toUpperCase()}${from.slice(1)}`;
  const rule =
    requested.length === 0
      ? 'no language requested: reports what the card declares'
      : `the card (or its base model's) lists ${requested.join(', ')}, or says multilingual`;
  const base = { name: 'language' as const, value: declared, rule };
  if (requested.length === 0) {
    return {
      ...base,
      status: 'pass',
      message:
        declared.length > 0
          ? `${From} declares ${declared.join(', ')}; no language was requested.`
          : 'The card declares no languages; no language was requested.',
    };
  }
  if (declared.length === 0) {
    return {
      ...base,
      status: 'warn',
      message: `The card declares no languages: evaluate it on ${requested.join(', ')} transcripts before relying on it.`,
    };
  }
  const have = new Set(declared.map(primary));
  const missing = requested.filter((l) => !have.has(l));
  if (missing.length === 0) {
    return { ...base, status: 'pass', message: `${From} lists ${requested.join(', ')}.` };
  }
  if (have.has('multilingual')) {
    return {
      ...base,
      status: 'pass',
      message: `${From} says multilingual (it does not list ${missing.join(', ')} by name).`,
    };
  }
  return {
    ...base,
    status: 'fail',
    message: `${From} declares ${declared.join(', ')}, not ${missing.join(', ')}: pick a model trained on those languages or a multilingual one.`,
  };
}
