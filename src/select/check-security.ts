import type { CheckStatus, ModelCheck, ModelFacts } from './types.js';
import type { ModelChecklistOptions } from './validate-checklist-options.js';
import { worstStatus } from './worst-status.js';

/** Options for `checkSecurity`. */
export type CheckSecurityOptions = Pick<ModelChecklistOptions, 'allowPickle'>;

const PICKLE = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;
const UNSAFE_LEVELS = /unsafe|malicious|dangerous|infected/i;

/**
 * Security:
 * - weights in safetensors or ONNX pass; pickle-only weights (`.bin`, `.pt`, `.pth`, `.ckpt`, `.pkl`) fail, or warn
 *   with `allowPickle`;
 * - the hub's security scan (`securityRepoStatus`): files flagged `unsafe` fail, other findings warn, and a scan
 *   that is missing or not finished warns (unknown is not safe);
 * - gated and private repos are noted with a warning (they need an access token).
 *
 * @param facts - what the hub said about the model
 * @param options - whether pickle-only weights are acceptable
 * @example
 * ```ts
 * checkSecurity(facts).status; // 'fail' for a repo with only pytorch_model.bin
 * ```
 */
export function checkSecurity(facts: ModelFacts, options: CheckSecurityOptions = {}): ModelCheck {
  const findings: { status: CheckStatus; sentence: string }[] = [];
  const formats: string[] = [];
  if (facts.files === undefined) {
    findings.push({
      status: 'warn',
      sentence: 'The file list could not be read, so the weight formats are unknown.',
    });
  } else {
    const paths = facts.files.map((f) => f.path);
    const onnx = paths.some((p) => /\.onnx$/i.test(p));
    const safetensors = paths.some((p) => /\.safetensors$/i.test(p));
    const pickles = paths.filter((p) => PICKLE.test(p) && !/openvino/i.test(p));
    if (onnx) formats.push('onnx');
    if (safetensors) formats.push('safetensors');
    if (pickles.length > 0) formats.push('pickle');
    if (!onnx && !safetensors) {
      const listed = pickles.slice(0, 3).join(', ') + (pickles.length > 3 ? ', ...' : '');
      if (pickles.length === 0) {
        findings.push({ status: 'warn', sentence: 'No weight files were found.' });
      } else if (options.allowPickle) {
        findings.push({
          status: 'warn',
          sentence: `Its weights are pickle only (${listed}), which can run code when loaded; accepted because allowPickle is set.`,
        });
      } else {
        findings.push({
          status: 'fail',
          sentence: `Its weights are pickle only (${listed}), which can run arbitrary code when loaded: pick a safetensors or ONNX export, or set allowPickle if you trust the authors.`,
        });
      }
    }
  }

  let scan: string;
  const s = facts.security;
  if (!s?.scansDone) {
    scan = s ? 'pending' : 'unknown';
    findings.push({
      status: 'warn',
      sentence: s
        ? "The hub's security scans are not finished, so the scan status is unknown (not safe)."
        : 'The hub reported no security scan status, so it is unknown (not safe).',
    });
  } else if (s.filesWithIssues.length > 0) {
    scan = 'issues';
    const unsafe = s.filesWithIssues.some((f) => UNSAFE_LEVELS.test(f.level));
    findings.push({
      status: unsafe ? 'fail' : 'warn',
      sentence: `The hub's scanners flagged ${s.filesWithIssues.map((f) => `${f.path} (${f.level})`).join(', ')}${
        unsafe ? ': do not load this repo' : ': review the findings on the hub page'
      }.`,
    });
  } else {
    scan = 'clean';
  }

  if (facts.gated) {
    findings.push({
      status: 'warn',
      sentence: `The repo is gated (${facts.gated === 'manual' ? 'the authors approve each request' : 'access is granted on request'}): downloads need an access token of an account with access.`,
    });
  }
  if (facts.private)
    findings.push({ status: 'warn', sentence: 'The repo is private: downloads need an access token.' });

  const status = worstStatus(findings.map((f) => f.status));
  return {
    name: 'security',
    status,
    value: { weights: formats, scan, gated: facts.gated },
    rule: 'safetensors or ONNX weights (pickle-only fails unless allowed); hub scan done with no findings; gated or private repos noted',
    message:
      status === 'pass'
        ? `Weights in ${formats.join(' and ')}${formats.includes('pickle') ? ' (the pickle files are not needed)' : ''}; the hub's scans found nothing.`
        : findings
            .filter((f) => f.status !== 'pass')
            .map((f) => f.sentence)
            .join(' '),
  };
}
