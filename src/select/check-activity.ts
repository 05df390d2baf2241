import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { ModelCheck, ModelFacts } from './types.js';
import type { ModelChecklistOptions } from './validate-checklist-options.js';

/** Options for `checkActivity`. */
export type CheckActivityOptions = Pick<
  ModelChecklistOptions,
  'minDownloads' | 'minLikes' | 'maxMonthsSinceUpdate' | 'now'
>;

const MONTH_MS = 30.4375 * 24 * 3600 * 1000;

function threshold(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionsError(option, `expected a number >= 0, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Community activity: downloads over the last 30 days, likes and the last commit, against configurable
 * thresholds. Falling short warns (an unpopular or quiet model may be fine, but fewer people have tested it);
 * only a repo the hub has disabled fails.
 *
 * @param facts - what the hub said about the model
 * @param options - thresholds and the current time
 * @throws InvalidOptionsError for a negative or non-finite threshold
 * @example
 * ```ts
 * checkActivity(facts, { minDownloads: 100, maxMonthsSinceUpdate: 36 }).status; // 'pass'
 * ```
 */
export function checkActivity(facts: ModelFacts, options: CheckActivityOptions = {}): ModelCheck {
  const minDownloads = threshold('minDownloads', options.minDownloads, 1000);
  const minLikes = threshold('minLikes', options.minLikes, 0);
  const maxMonths = threshold('maxMonthsSinceUpdate', options.maxMonthsSinceUpdate, 24);
  const now = options.now ?? new Date();
  const months =
    facts.lastModified === undefined
      ? undefined
      : Math.max(0, (now.getTime() - facts.lastModified.getTime()) / MONTH_MS);
  const value = {
    downloads: facts.downloads,
    likes: facts.likes,
    lastModified: facts.lastModified?.toISOString() ?? null,
  };
  const rule = `downloads (30 days) >= ${minDownloads}, likes >= ${minLikes}, last commit <= ${maxMonths} months ago`;
  const seen = `${facts.downloads.toLocaleString('en-US')} downloads in the last 30 days, ${facts.likes.toLocaleString('en-US')} likes, last commit ${
    months === undefined ? 'unknown' : `${months.toFixed(1)} months ago`
  }`;
  if (facts.disabled) {
    return {
      name: 'activity',
      status: 'fail',
      value,
      rule,
      message: `The hub has disabled this repo (${seen}).`,
    };
  }
  const short: string[] = [];
  if (facts.downloads < minDownloads) short.push(`fewer than ${minDownloads} downloads`);
  if (facts.likes < minLikes) short.push(`fewer than ${minLikes} likes`);
  if (months === undefined) short.push('no known last commit');
  else if (months > maxMonths) short.push(`no commit for over ${maxMonths} months`);
  if (short.length === 0) return { name: 'activity', status: 'pass', value, rule, message: `${seen}.` };
  return {
    name: 'activity',
    status: 'warn',
    value,
    rule,
    message: `${seen}: ${short.join(', ')}, so fewer people have exercised it; test it on your own data.`,
  };
}
