import { buildScoringDetector } from '../corpus/build-detector.js';
import type { ScoringDetector } from '../corpus/types.js';
import { DEFAULT_WARMUP } from '../server/options.js';
import { failedMembers, reportFailedMembers } from './report-failed-members.js';

/** What {@link checkMembersLoad} found. */
export interface MembersLoadCheck {
  /** True when a member failed to load: the command stops (the failures are on stderr, the exit code is 3). */
  refused: boolean;
  /**
   * Disposes the detector the check built (once; later calls wait for the same): call it once the command's own
   * detector has loaded (it shares the models), or at once where the scoring runs elsewhere.
   */
  release: () => Promise<void>;
}

/**
 * Builds `detector` in this thread and runs it once on the service's warm-up transcript, so every member loads
 * its model before the corpus is read: a member that cannot load (`--model nli=/dir` without `config.json`) is
 * said at once, as `botlens serve` says it at start-up, instead of after every line was scored without it. Each
 * failed member gets its line on stderr, then the refusal, and the exit code is 3 (a partial result, as `detect`
 * reports the same failure). With `--allow-partial` nothing is checked: the run scores from the others.
 *
 * @param detector - what the corpus will be scored with
 * @param allowPartial - `--allow-partial`
 * @throws what building the detector or the warm-up detection throws (a fitted file that cannot be restored)
 */
export async function checkMembersLoad(
  detector: ScoringDetector,
  allowPartial: boolean,
): Promise<MembersLoadCheck> {
  if (allowPartial) return { refused: false, release: async () => undefined };
  const built = await buildScoringDetector(detector);
  let disposed: Promise<void> | undefined;
  const release = (): Promise<void> => {
    disposed ??= Promise.resolve(built.dispose?.());
    return disposed;
  };
  try {
    const failed = failedMembers(await built.detect(DEFAULT_WARMUP));
    const refused = reportFailedMembers(failed, {
      allowPartial: false,
      refusal: (n) =>
        `nothing scored: ${n} detector(s) failed on a trial transcript before the corpus was read. Fix them, or pass --allow-partial to score from the others.`,
    });
    if (refused) await release();
    return { refused, release };
  } catch (err) {
    await release();
    throw err;
  }
}
