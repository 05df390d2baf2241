/**
 * The exit codes of the `botlens` CLI, documented in docs/guide.md ("Exit codes"):
 * - `0`: success (for `check-model`, a verdict other than `fail`);
 * - `1`: an error: bad input, a model that cannot load, a refused output, a `fail` verdict;
 * - `2`: a usage error: unknown command or option, missing argument, value outside the allowed choices, flags
 *   that cannot go together (`--prior` with `--strategy weighted-mean`, `--group-by` with one detector);
 * - `3`: a partial result: a member of the ensemble failed and `--allow-partial` was not given (nothing is scored
 *   from the rest; the member and its reason are on stderr);
 * - `130`: interrupted (Ctrl-C), as a shell reports a process SIGINT ended;
 * - `141`: standard output was closed by its reader before the output was all written (`botlens models --json |
 *   head -1`), as a shell reports a process SIGPIPE ended (128 + 13); the command stops quietly;
 * - `143`: terminated (SIGTERM, 128 + 15) while `score` ran, handled as Ctrl-C is (whole lines written, the
 *   `--resume` hint; a queue run withdraws its queued jobs first).
 */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  partial: 3,
  interrupted: 130,
  stdoutClosed: 141,
  terminated: 143,
} as const;
