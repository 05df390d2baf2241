/**
 * The busy line of `fit` (and `eval --fit`) on a terminal: its elapsed seconds move while the fit keeps this thread
 * busy for seconds on end (they used to stay at `(0 s)` for the whole fit), and Ctrl-C still ends the fit at once
 * (exit 130, nothing saved). On a terminal that
 * reports 0 columns (unknown width) the line reads in full (it used to be only `…`). Real CLI under util-linux
 * `script` (a pseudo-terminal), on the shared ConvAI training data (the transfer preset fits for over ten seconds
 * there).
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ctrlCCliOnTty, HAS_SCRIPT, interruptCliOnTty } from '../helpers/on-tty.js';
import { CONVAI_DIR, describeWithShared } from '../helpers/shared.js';
import { useWorkDir } from '../helpers/work-dir.js';

/** `fit --preset transfer` on the shared training data (over ten seconds of fitting), saving to `out`. */
function fitArgs(out: string): string[] {
  return ['fit', '--preset', 'transfer', '--data', join(CONVAI_DIR, 'train.jsonl'), '--out', out];
}

describeWithShared('fit: the busy line on a terminal', () => {
  const work = useWorkDir('botlens-tty-busy-');

  it.skipIf(!HAS_SCRIPT)(
    'the elapsed time ticks during the fit, and Ctrl-C ends it with exit 130',
    async () => {
      const args = fitArgs(work.path('f.json'));
      const r = await interruptCliOnTty(args, /fit: fitting ensemble on \d+ transcripts \(3 s\)/);
      expect(r.interrupted, r.out).toBe(true);
      // The seconds moved while the fit ran: several distinct times were drawn, up to 3.
      const drawn = new Set([...r.out.matchAll(/transcripts \((\d+) s\)/g)].map((m) => Number(m[1])));
      expect(drawn.size).toBeGreaterThanOrEqual(3);
      expect(Math.max(...drawn)).toBe(3);
      expect(r.out).toMatch(/\[rc=130\]/);
      expect(r.out).not.toContain('fitted ensemble');
    },
    120_000,
  );

  it.skipIf(!HAS_SCRIPT)(
    'on a terminal of 0 columns the line reads in full, and Ctrl-C typed on the terminal still ends the fit at once',
    async () => {
      const args = fitArgs(work.path('g.json'));
      const r = await ctrlCCliOnTty(args, /\(2 s\)/, { columns: 0 });
      expect(r.interrupted, r.out).toBe(true);
      // The ticker's redraws (from 1 s on) carry the whole text, not just "…".
      expect(r.out).toMatch(/fit: fitting ensemble on \d+ transcripts \(2 s\)/);
      expect(r.out).not.toMatch(/fit: … \(/);
      expect(r.out).toMatch(/\[rc=130\]/);
      expect(r.out).not.toContain('fitted ensemble');
    },
    120_000,
  );
});
