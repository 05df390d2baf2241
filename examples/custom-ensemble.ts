/**
 * Compose your own ensemble: the built-in heuristic detector plus a small detector written here, combined with
 * the `cascade` and `weighted-mean` strategies. Shows what each member contributed, which members ran, and
 * what happens when a member abstains or throws.
 *
 *   npx tsx examples/custom-ensemble.ts
 *
 *
 */
// needs: none
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AbortedError,
  abstained,
  type Detection,
  type DetectOptions,
  type Detector,
  Ensemble,
  type EnsembleResult,
  HeuristicDetector,
  isMemberFailure,
  nowMs,
  scored,
  type Transcript,
  targetMessages,
  validateTranscript,
} from 'botlens';

/**
 * A detector of your own: bots often answer within a second or two, every time. It needs timestamps, so it
 * abstains (score null) when there are none, instead of guessing 0.5. No registration: implementing the
 * Detector interface is enough.
 */
class ReplyDelayDetector implements Detector {
  readonly name = 'reply-delay';

  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, 'reply-delay detect');
    const v = validateTranscript(t); // free when the ensemble already validated it
    const delays: number[] = [];
    v.messages.forEach((m, i) => {
      const prev = v.messages[i - 1];
      if (i === 0 || m.speaker !== v.target || prev === undefined || prev.speaker === v.target) return;
      if (m.timeMs !== undefined && prev.timeMs !== undefined) delays.push(m.timeMs - prev.timeMs);
    });
    if (delays.length === 0) {
      return abstained(
        this.name,
        'No timed reply from the target: reply delays cannot be measured.',
        started,
      );
    }
    delays.sort((a, b) => a - b);
    const median = delays[Math.floor(delays.length / 2)]!;
    // 0.95 at an instant reply, 0.5 at 4 s, falling towards 0.05 for slow, human-paced replies.
    const score = 0.05 + 0.9 / (1 + Math.exp((median - 4000) / 1500));
    const sentence = `The median reply delay is ${(median / 1000).toFixed(1)} s over ${delays.length} replies (${targetMessages(v).length} messages).`;
    return scored(this.name, score, 0.5, [{ name: 'median_delay_ms', value: median, sentence }], started);
  }
}

/** A member that always fails, to show that errors are kept as data and the rest still combine. */
const flaky: Detector = {
  name: 'flaky',
  async detect() {
    throw new Error('model server unreachable');
  },
};

function show(title: string, r: EnsembleResult): void {
  console.log(`\n## ${title}`);
  console.log(`${r.strategy}: P(bot) = ${r.score?.toFixed(3) ?? 'abstained'} -> ${r.label ?? 'no label'}`);
  console.log(`ran: ${r.ran.join(', ')}${r.skipped.length ? `; skipped: ${r.skipped.join(', ')}` : ''}`);
  for (const m of r.members) {
    if (isMemberFailure(m))
      console.log(`  member ${m.detector}: failed (${m.error.name}: ${m.error.message})`);
    else console.log(`  member ${m.detector}: ${m.score === null ? 'abstained' : m.score.toFixed(3)}`);
  }
  for (const line of r.explanation) console.log(`  | ${line}`);
}

const here = dirname(fileURLToPath(import.meta.url));
const timed = JSON.parse(readFileSync(resolve(here, 'transcript.json'), 'utf8')) as Transcript;
const untimed: Transcript = {
  target: timed.target,
  messages: timed.messages.map(({ speaker, text }) => ({ speaker, text })),
};

// Cascade: cheapest member first; stops as soon as the running score is confidently on one side of the
// threshold (by default P(bot) >= 0.9 or <= 0.1), so the dearer members only run on the hard cases.
const cascade = new Ensemble([new ReplyDelayDetector(), new HeuristicDetector()], {
  name: 'cascade-demo',
  strategy: 'cascade',
  costs: { heuristic: 1, 'reply-delay': 2 },
});
console.log(`cascade run order: ${cascade.runOrder.join(' -> ')}`);
show('cascade, timed transcript', await cascade.detect(timed));

// Weighted mean of log-odds: every member runs; abstaining members are left out, never counted as 0.5.
const mean = new Ensemble([new HeuristicDetector(), new ReplyDelayDetector(), flaky], {
  name: 'mean-demo',
  strategy: 'weighted-mean',
  weights: { heuristic: 2, 'reply-delay': 1, flaky: 1 },
});
show('weighted-mean, timed transcript', await mean.detect(timed));
show('weighted-mean, no timestamps (reply-delay abstains)', await mean.detect(untimed));
