/** One member's failures, as {@link MemberFailureTally} counts them. */
export interface MemberFailureTallyEntry {
  /** The member's name. */
  detector: string;
  /** How many positions (examples, lines) it failed on. */
  count: number;
  /** The first position it failed on. */
  first: number;
  /** Its error message there. */
  firstError: string;
}

/**
 * Counts the ensemble members that threw, per member name: on how many positions, the first one and its error.
 * `evaluateDetector` (positions: example indexes) and `writeScores` (input line numbers) report it in their own
 * shapes.
 */
export class MemberFailureTally {
  private readonly byName = new Map<string, MemberFailureTallyEntry>();

  /**
   * Counts one failure.
   *
   * @param detector - the member's name
   * @param error - its error message
   * @param position - where (an example index, a line number): the first one counted is kept
   */
  add(detector: string, error: string, position: number): void {
    const seen = this.byName.get(detector);
    if (seen) seen.count++;
    else this.byName.set(detector, { detector, count: 1, first: position, firstError: error });
  }

  /** The members that failed, in the order they first failed. */
  entries(): MemberFailureTallyEntry[] {
    return [...this.byName.values()];
  }
}
