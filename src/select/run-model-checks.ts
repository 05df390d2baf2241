import { checkActivity } from './check-activity.js';
import { checkLanguage } from './check-language.js';
import { checkLicense } from './check-license.js';
import { checkMemory } from './check-memory.js';
import { checkSecurity } from './check-security.js';
import { checkTask } from './check-task.js';
import type { ModelCheckReport, ModelFacts } from './types.js';
import { type ModelChecklistOptions, validateChecklistOptions } from './validate-checklist-options.js';
import { worstStatus } from './worst-status.js';

/**
 * Runs the six checks (task, language, license, memory, activity, security) on facts already read from the hub
 * and returns the report. Pure: no request is made, so it also works on facts saved earlier or built by hand.
 *
 * @param facts - what `fetchModelFacts` returned
 * @param options - the checklist's settings
 * @throws InvalidOptionsError for a bad setting
 * @example
 * ```ts
 * const facts = await fetchModelFacts('Xenova/bart-large-mnli');
 * const report = runModelChecks(facts, { task: 'nli', memoryBudget: '2GB', dtype: 'q8' });
 * report.verdict; // 'pass' | 'warn' | 'fail'
 * ```
 */
export function runModelChecks(facts: ModelFacts, options: ModelChecklistOptions): ModelCheckReport {
  validateChecklistOptions(options);
  const checks = [
    checkTask(facts, { task: options.task, dtype: options.dtype }),
    checkLanguage(facts, { languages: options.languages }),
    checkLicense(facts, { allowLicenses: options.allowLicenses }),
    checkMemory(facts, {
      task: options.task,
      memoryBudget: options.memoryBudget,
      dtype: options.dtype,
      batchSize: options.batchSize,
      sequenceLength: options.sequenceLength,
    }),
    checkActivity(facts, {
      minDownloads: options.minDownloads,
      minLikes: options.minLikes,
      maxMonthsSinceUpdate: options.maxMonthsSinceUpdate,
      now: options.now,
    }),
    checkSecurity(facts, { allowPickle: options.allowPickle }),
  ];
  return {
    id: facts.id,
    sha: facts.sha,
    task: options.task,
    verdict: worstStatus(checks.map((c) => c.status)),
    checks,
    problems: facts.problems,
  };
}
