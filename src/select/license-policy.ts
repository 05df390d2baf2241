/**
 * Licenses {@link checkModel} accepts without comment when no `allowLicenses` is given: permissive licenses that
 * allow commercial use, modification and redistribution with attribution at most. Hub license ids (lower case).
 */
export const DEFAULT_ALLOWED_LICENSES: readonly string[] = Object.freeze([
  'apache-2.0',
  'mit',
  'bsd',
  'bsd-2-clause',
  'bsd-3-clause',
  'bsd-3-clause-clear',
  'isc',
  'zlib',
  'unlicense',
  'cc0-1.0',
  'cc-by-2.0',
  'cc-by-2.5',
  'cc-by-3.0',
  'cc-by-4.0',
  'bsl-1.0',
  'artistic-2.0',
  'afl-3.0',
  'ecl-2.0',
  'ms-pl',
  'postgresql',
  'pddl',
  'odc-by',
  'wtfpl',
]);

/**
 * How a license constrains use, as {@link classifyLicense} sees it:
 * - `non-commercial`: forbids commercial use (`cc-by-nc-*`, `fair-noncommercial-research-license`,
 *   `deepfloyd-if-license`);
 * - `use-conditions`: allows commercial use under conditions (Responsible AI Licenses `*rail*`, Llama and Gemma
 *   licenses, `cc-by-nd-*`);
 * - `custom`: `other`, a license the repo ships itself (read its `license_name` / `license_link`);
 * - `standard`: any other hub license id (permissive or copyleft), judged by the allow-list alone.
 */
export type LicenseClass = 'non-commercial' | 'use-conditions' | 'custom' | 'standard';

/**
 * Classifies a hub license id (see {@link LicenseClass}).
 *
 * @param license - a hub license id such as `mit`, `cc-by-nc-4.0`, `llama3.2` or `other`
 * @example
 * ```ts
 * classifyLicense('cc-by-nc-sa-4.0'); // 'non-commercial'
 * classifyLicense('bigscience-openrail-m'); // 'use-conditions'
 * classifyLicense('apache-2.0'); // 'standard'
 * ```
 */
export function classifyLicense(license: string): LicenseClass {
  const l = license.trim().toLowerCase();
  if (
    l.startsWith('cc-by-nc') ||
    l === 'fair-noncommercial-research-license' ||
    l === 'deepfloyd-if-license'
  ) {
    return 'non-commercial';
  }
  if (l.includes('rail') || l.startsWith('llama') || l.startsWith('gemma') || l.startsWith('cc-by-nd')) {
    return 'use-conditions';
  }
  if (l === 'other' || l === 'unknown' || l === 'custom') return 'custom';
  return 'standard';
}
