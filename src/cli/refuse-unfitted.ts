import { checkReadable } from '../data/check-readable.js';
import { describeUnfitted, unfittedPartsOnLoad } from '../detectors/needs-fit.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { fitCommand, GROUP_BY_HINT, howToFit } from '../flags/fit-command.js';
import {
  type DetectorFlags,
  type DetectorFromFlagsOptions,
  ensembleFlagsGiven,
  ensembleSpecFromFlags,
  parseModelFlags,
  type ScoringCommand,
} from './detector-flags.js';

/**
 * Refuses, where nothing fits it before it scores (`detect`, `score`, and `eval` without `--fit`), an ensemble
 * that the flags describe (not a `--model fitted.json`) and that cannot score unfitted: a `stacking` strategy or
 * preset, or a member whose type needs a fit (`DetectorDescriptor.needsFit`: `embedding`, `partner-contrast`,
 * `linear-probe`, a type registered with `registerDetector` that declares it, ...), or a `lora` member whose
 * `--model lora=ID` has no classification head (loaded here to tell: `unfittedPartsOnLoad`). The command could only fail
 * on its first transcript. Call it before any data is read. The message says how to fit the ensemble (`howToFit`:
 * the `botlens fit` command that fits the same spec) and to rerun the command with `--model fitted.json` in place
 * of the flags that describe the ensemble, which a fitted file refuses (for `eval`, also to give `--fit`).
 *
 * @param flags - the detector flags
 * @param command - the command, for the message
 * @param options - `onProgress` for the models the check loads (those of the detector the command builds next);
 *   `inputs`: the files the command reads, checked readable ({@link checkReadable}) before the check loads a model,
 *   so that a wrong path is said at once, not after a load (a download, for a hub id)
 * @returns the release of the models the check loaded: call it once the command's detector has loaded, which then
 *   shares their load
 * @throws InvalidOptionsError naming `--preset`, `--strategy`, `--detectors`, or `--model` when only loading its
 *   models showed the need (a `lora` model with no classification head); or for a bad detector flag
 * @throws BotlensError `READ_FAILED` for an input that cannot be read, where the check loads a model
 */
export async function refuseUnfittedSpec(
  flags: DetectorFlags,
  command: ScoringCommand,
  options: DetectorFromFlagsOptions & { inputs?: readonly string[] } = {},
): Promise<() => Promise<void>> {
  const { fitted, models } = parseModelFlags(flags.model);
  if (fitted !== undefined) return async () => undefined;
  const spec = ensembleSpecFromFlags(flags);
  const { parts, release } = await unfittedPartsOnLoad(spec, {
    ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
    beforeLoad: async () => {
      for (const input of options.inputs ?? []) await checkReadable(input);
    },
  });
  if (parts.length === 0) return release;
  await release();
  const given = flags.explicit ?? {};
  const replaced = ensembleFlagsGiven(flags, models);
  const rerun = `rerun this command with --model fitted.json${replaced.length > 0 ? ` in place of the flags that describe the ensemble (${replaced.join(', ')})` : ''}`;
  const fit = `fit it first (${howToFit(spec)})`;
  const advice =
    command === 'eval'
      ? `give --fit train.jsonl to fit it before it is scored${fitCommand(spec)?.groupedFit ? `, ${GROUP_BY_HINT}` : ''}; or ${fit} and ${rerun}`
      : `${fit}, then ${rerun}`;
  const types = spec.detectors.map((d) => d.type).join(',');
  const subject =
    flags.preset !== undefined
      ? `--preset ${flags.preset}`
      : `--detectors ${types}${'strategy' in given || parts[0]!.part === 'strategy' ? ` --strategy ${spec.strategy}` : ''}`;
  // Where only loading the models showed it (a --model lora=ID with no classification head), --model is at fault.
  const onLoad = parts.every((p) => p.part === 'detector' && p.reason !== undefined);
  throw new InvalidOptionsError(
    flags.preset !== undefined
      ? '--preset'
      : parts[0]!.part === 'strategy'
        ? '--strategy'
        : onLoad
          ? '--model'
          : '--detectors',
    `${subject} cannot score until it is fitted on labelled data (${describeUnfitted(parts)}): ${advice}`,
  );
}
