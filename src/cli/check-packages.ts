import { importAllOptional, type OptionalNeed } from '../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../core/optional-needs.js';
import { specLoadsModels } from '../detectors/spec-loads-models.js';
import { type DetectorFlags, ensembleSpecFromFlags, parseModelFlags } from './detector-flags.js';

/** What {@link checkCommandPackages} checks. */
export interface CommandPackages {
  /**
   * The detector flags: when they describe an ensemble with a model-backed member, the model packages are needed.
   * A fitted `--model` file is not read here (its load names what it lacks).
   * @defaultValue no detector
   */
  flags?: DetectorFlags;
  /**
   * Features the command needs whatever the detector (`OPTIONAL_NEEDS.queue` for `score --redis` and `worker`).
   * @defaultValue none
   */
  needs?: readonly OptionalNeed[];
}

/**
 * Checks, before any file is read or model loaded, that the optional packages a command needs are installed, and
 * names every missing one at once, with the features that need them, in one `npm install` line (`serve` checks
 * its own the same way). Flags that do not parse count as loading no model: the command says what is wrong with
 * them next.
 *
 * @param what - the detector flags and the command's other needs
 * @throws MissingDependencyError listing every missing package
 */
export async function checkCommandPackages(what: CommandPackages): Promise<void> {
  const needs = [...(what.needs ?? [])];
  if (what.flags !== undefined && flagsLoadModels(what.flags)) needs.push(OPTIONAL_NEEDS.models);
  if (needs.length > 0) await importAllOptional(needs);
}

/** Whether the flags describe an ensemble (not a fitted file) that loads a model. */
function flagsLoadModels(flags: DetectorFlags): boolean {
  try {
    if (parseModelFlags(flags.model).fitted !== undefined) return false;
    return specLoadsModels(ensembleSpecFromFlags(flags));
  } catch {
    return false;
  }
}
