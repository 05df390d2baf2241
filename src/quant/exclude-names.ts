/**
 * Checks the `exclude` option of quantization against the layers of a model: a name that matches no layer
 * (a typo, a PyTorch parameter name such as `bert.encoder.layer.0.attention.self.query.weight`) would otherwise
 * keep nothing in float32 without a word.
 *
 * @module
 * @internal
 */
import { nearestNames } from '../core/edit-distance.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { MS_DOMAIN } from '../onnx/graph-edit.js';
import type { GraphProto } from '../onnx/onnx-types.js';
import { type LinearSite, siteMatches } from './linear-sites.js';

/** An `exclude` entry: a name or a RegExp. */
export type ExcludePattern = string | RegExp;

/** The layers of one model that `exclude` entries are matched against. */
export interface ExcludeTargets {
  /** The linear layers (heads included). */
  sites: readonly LinearSite[];
  /** Names of fused `com.microsoft.Attention` nodes (matched whole, or by RegExp). */
  attention: readonly string[];
}

/**
 * The layers of `graph` that `exclude` can name: its linear sites and its fused attention nodes.
 *
 * @param graph - the model's graph
 * @param sites - its linear sites, found as quantization finds them (`findLinearSites`, same `foldBias`)
 * @internal
 */
export function excludeTargets(graph: GraphProto, sites: readonly LinearSite[]): ExcludeTargets {
  const attention = graph.node
    .filter((n) => n.op_type === 'Attention' && n.domain === MS_DOMAIN)
    .map((n) => n.name || n.output[0] || '');
  return { sites, attention };
}

/**
 * The `exclude` entries that match no layer of `graph`.
 *
 * @param graph - the model's graph
 * @param sites - its linear sites (see {@link excludeTargets})
 * @param exclude - the entries
 * @returns the entries that matched nothing, and the names that can be given
 * @internal
 */
export function unmatchedExcludes(
  graph: GraphProto,
  sites: readonly LinearSite[],
  exclude: readonly ExcludePattern[],
): { unmatched: ExcludePattern[]; names: string[] } {
  if (exclude.length === 0) return { unmatched: [], names: [] };
  const targets = excludeTargets(graph, sites);
  return { unmatched: exclude.filter((p) => !excludeMatches(targets, p)), names: excludableNames(targets) };
}

/**
 * Whether `pattern` names at least one layer of `targets`, by the rules quantization applies.
 *
 * @param targets - from {@link excludeTargets}
 * @param pattern - an `exclude` entry
 * @internal
 */
export function excludeMatches(targets: ExcludeTargets, pattern: ExcludePattern): boolean {
  if (targets.sites.some((s) => siteMatches(s, pattern))) return true;
  return targets.attention.some((a) => (typeof pattern === 'string' ? a === pattern : pattern.test(a)));
}

/**
 * The names a person can give `exclude` for `targets`: module names and their runs of whole dotted segments
 * (`layer.0`, `attention.self.query`), then node names.
 *
 * @param targets - from {@link excludeTargets}
 * @internal
 */
export function excludableNames(targets: ExcludeTargets): string[] {
  const names = new Set<string>();
  for (const m of targets.sites.map((s) => s.module)) {
    if (!m) continue;
    const parts = m.split('.');
    for (let i = 0; i < parts.length; i++)
      for (let j = i + 1; j <= parts.length; j++) names.add(parts.slice(i, j).join('.'));
  }
  for (const s of targets.sites) if (s.node.name) names.add(s.node.name);
  for (const a of targets.attention) names.add(a);
  return [...names];
}

/**
 * Refuses `exclude` entries that match no layer, listing them and, for each name, the nearest real names.
 *
 * @param unmatched - the entries that matched nothing (nothing happens when empty)
 * @param names - the real names ({@link excludableNames})
 * @param where - what was searched, e.g. `the model` or `onnx/model.onnx, onnx/text_model.onnx`
 * @throws InvalidOptionsError (`exclude`) naming each entry, the nearest names, and what the option takes
 * @internal
 */
export function refuseUnmatchedExcludes(
  unmatched: readonly ExcludePattern[],
  names: readonly string[],
  where: string,
): void {
  if (unmatched.length === 0) return;
  const listed = unmatched.map((p) => {
    if (typeof p !== 'string') return String(p);
    const near = nearestNames(p, names, 3);
    return near.length > 0 ? `"${p}" (nearest: ${near.map((n) => `"${n}"`).join(', ')})` : `"${p}"`;
  });
  const what = unmatched.length === 1 ? 'matches' : 'match';
  throw new InvalidOptionsError(
    'exclude',
    `${listed.join('; ')} ${what} no quantizable layer of ${where}. exclude takes module names as the report ` +
      'lists them (whole dotted segments such as "attention.self.query" or "layer.0", without ".weight"), node, ' +
      'weight or output names, or RegExps: correct or remove the name.',
  );
}
