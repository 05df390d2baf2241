import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { cardLicenses } from './card-licenses.js';
import { classifyLicense, DEFAULT_ALLOWED_LICENSES } from './license-policy.js';
import type { CheckStatus, ModelCheck, ModelFacts } from './types.js';
import type { ModelChecklistOptions } from './validate-checklist-options.js';

/** Options for `checkLicense`. */
export type CheckLicenseOptions = Pick<ModelChecklistOptions, 'allowLicenses'>;

const RANK: Readonly<Record<CheckStatus, number>> = { pass: 0, warn: 1, fail: 2 };

/**
 * License: read from the card metadata (`license`, a string or a list, with `license_name` for `other`) and the
 * `license:` tags, or from the base model's card when the model declares none.
 *
 * - A license in the allow-list passes.
 * - Non-commercial licenses (`cc-by-nc-*`, `fair-noncommercial-research-license`, `deepfloyd-if-license`), licenses
 *   with use conditions (RAIL, Llama, Gemma, `cc-by-nd-*`) and custom licenses (`other`) warn, naming the license.
 * - Any other license fails (add it to `allowLicenses` if your use complies), and so does a model with no license.
 * - With several licenses (dual licensing) the most favourable one counts.
 *
 * @param facts - what the hub said about the model
 * @param options - the allow-list
 * @throws InvalidOptionsError when `allowLicenses` is not a list of strings
 * @example
 * ```ts
 * checkLicense(facts, { allowLicenses: ['mit', 'apache-2.0'] }).status; // 'pass' for an MIT model
 * ```
 */
export function checkLicense(facts: ModelFacts, options: CheckLicenseOptions = {}): ModelCheck {
  const allowRaw = options.allowLicenses ?? DEFAULT_ALLOWED_LICENSES;
  if (!Array.isArray(allowRaw) || allowRaw.some((l) => typeof l !== 'string')) {
    throw new InvalidOptionsError(
      'allowLicenses',
      'expected a list of hub license ids such as ["mit", "apache-2.0"]',
    );
  }
  const allow = new Set(allowRaw.map((l) => l.trim().toLowerCase()));
  let licenses = cardLicenses(facts.cardData, facts.tags);
  let licenseName =
    typeof facts.cardData['license_name'] === 'string' ? facts.cardData['license_name'] : undefined;
  let from = 'Its card';
  if (licenses.length === 0 && facts.baseModel && facts.baseModel.licenses.length > 0) {
    licenses = facts.baseModel.licenses;
    licenseName = facts.baseModel.licenseName;
    from = `The card of its base model ${facts.baseModel.id}`;
  }
  const shown = licenses.map((l) =>
    classifyLicense(l) === 'custom' && licenseName ? `${l} (${licenseName})` : l,
  );
  const rule = `license in the allow-list (${[...allow].slice(0, 6).join(', ')}${allow.size > 6 ? ', ...' : ''}); non-commercial, conditional and custom licenses warn`;
  if (licenses.length === 0) {
    return {
      name: 'license',
      status: 'fail',
      value: null,
      rule,
      message:
        'The model declares no license, which grants no right to use it: ask the authors, or pick another model.',
    };
  }
  const verdicts = licenses.map((l, i): { status: CheckStatus; sentence: string } => {
    const name = shown[i]!;
    if (allow.has(l)) return { status: 'pass', sentence: `${name} is in the allow-list.` };
    switch (classifyLicense(l)) {
      case 'non-commercial':
        return {
          status: 'warn',
          sentence: `${name} is a non-commercial license: do not use the model in a commercial product.`,
        };
      case 'use-conditions':
        return { status: 'warn', sentence: `${name} carries use conditions: read them before deploying.` };
      case 'custom':
        return {
          status: 'warn',
          sentence: `${name} is a custom license: read it${typeof facts.cardData['license_link'] === 'string' ? ` (${facts.cardData['license_link']})` : ''} before deploying.`,
        };
      default:
        return {
          status: 'fail',
          sentence: `${name} is not in the allow-list: add it to allowLicenses if your use complies with it.`,
        };
    }
  });
  const best = verdicts.reduce((a, b) => (RANK[b.status] < RANK[a.status] ? b : a));
  return {
    name: 'license',
    status: best.status,
    value: shown.join(', '),
    rule,
    message: `${from} declares ${shown.join(', ')}; ${best.sentence}`,
  };
}
