import type { Command } from 'commander';
import type { Detection } from '../../core/detector.js';
import type { TimelinePoint } from '../../core/timeline.js';
import type { Transcript } from '../../core/transcript.js';
import { messagesBeforeTruncation } from '../../data/transcript-limits.js';
import { terminalColumns } from '../bar-layout.js';
import { checkCommandPackages } from '../check-packages.js';
import { addDetectorFlags, type DetectorFlags, detectorFromFlags } from '../detector-flags.js';
import { formatTable } from '../format-table.js';
import { loadProgressFor, loadProgressOptions } from '../load-progress.js';
import { refuseUnfittedSpec } from '../refuse-unfitted.js';
import { type FailedMemberLine, failedMembers, reportFailedMembers } from '../report-failed-members.js';
import {
  addTranscriptFlags,
  readTranscriptWithFlags,
  type TranscriptFlags,
  transcriptOptionsFromFlags,
} from '../transcript-flags.js';
import { usageError } from '../usage-error.js';

interface DetectFlags extends DetectorFlags, TranscriptFlags {
  pretty?: boolean;
  json?: boolean;
  allowPartial?: boolean;
  timeline?: boolean;
  quiet?: boolean;
}

interface MemberView {
  detector: string;
  score?: number | null;
  label?: string | null;
  elapsedMs?: number;
  error?: { name?: string; message: string };
  evidence?: Detection['evidence'];
}

function fmt(score: number | null | undefined): string {
  return score === null || score === undefined ? 'abstain' : score.toFixed(3);
}

/** The widest evidence value the table shows as is; a longer one is summed up (its sentence says the rest). */
const MAX_VALUE_WIDTH = 40;

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * An evidence value as a table cell: numbers to 3 decimals (also inside lists and objects); a value still wider
 * than {@link MAX_VALUE_WIDTH} is summed up (`5 items`, `3 fields`), since the evidence sentence beside it says
 * what it holds and `--json` gives it whole: a list of full-precision neighbours made every row ~700 columns wide.
 */
function prettyValue(value: unknown): string {
  if (typeof value === 'number') return String(round3(value));
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? round3(v) : v)) ?? '';
  if (text.length <= MAX_VALUE_WIDTH) return text;
  if (Array.isArray(value)) return `${value.length} items (--json for all)`;
  if (value !== null && typeof value === 'object') {
    return `${Object.keys(value).length} fields (--json for all)`;
  }
  return `${text.slice(0, MAX_VALUE_WIDTH - 1)}…`;
}

/**
 * Renders a detection (or ensemble result) as a readable report, its tables fitted to `width` columns (the last
 * column wrapped with a hanging indent).
 */
function prettyDetection(d: Detection, width: number): string {
  const out: string[] = [
    `${d.label ?? 'abstain'}  P(bot) = ${fmt(d.score)}  (${d.detector}, ${d.elapsedMs.toFixed(1)} ms)`,
  ];
  const members = (d as Detection & { members?: MemberView[] }).members;
  if (members?.length) {
    out.push(
      '',
      formatTable(
        ['detector', 'score', 'label', 'ms'],
        members.map((m) => [
          m.detector,
          m.error ? 'error' : fmt(m.score),
          m.error ? m.error.message.slice(0, 60) : (m.label ?? '-'),
          m.elapsedMs === undefined ? '-' : m.elapsedMs.toFixed(1),
        ]),
        { width },
      ),
    );
  }
  const evidence = (members ?? [d as MemberView]).flatMap((m) =>
    (m.evidence ?? []).map((e) => ({ m: m.detector, e })),
  );
  if (evidence.length) {
    out.push(
      '',
      formatTable(
        ['detector', 'signal', 'value', 'evidence'],
        evidence.map(({ m, e }) => [m, e.name, prettyValue(e.value), e.sentence]),
        { width },
      ),
    );
  }
  return out.join('\n');
}

/** The members that failed somewhere in a timeline, each with the first point it is missing from and how many lack it. */
function timelineFailures(points: readonly TimelinePoint[]): FailedMemberLine[] {
  const first = new Map<string, { at: number; points: number }>();
  for (const p of points) {
    for (const m of p.failedMembers ?? []) {
      const f = first.get(m);
      if (f) f.points++;
      else first.set(m, { at: p.messageIndex, points: 1 });
    }
  }
  return [...first].map(([detector, f]) => ({
    detector,
    error: `its stream failed at message ${f.at} of the timeline: ${f.points} of ${points.length} points lack it`,
  }));
}

/** What `--truncate` dropped: the original message count and how many messages were cut from the front. */
interface Truncation {
  from: number;
  dropped: number;
}

/** Says on stderr that `--truncate` dropped messages (if it did), and returns what it dropped. */
function reportTruncation(t: Transcript): Truncation | undefined {
  const from = messagesBeforeTruncation(t);
  if (from === undefined) return undefined;
  const kept = t.messages.length;
  process.stderr.write(
    `botlens: note: the transcript has ${from} messages; --truncate kept the last ${kept} (message indexes ${from - kept} to ${from - 1}, counting from 0 as the timeline does) and the verdict rests on those alone; timeline message indexes count from the original transcript\n`,
  );
  return { from, dropped: from - kept };
}

/** The detection, with `truncatedFrom` (the original message count) when `--truncate` dropped messages. */
function withTruncation(d: Detection, truncation: Truncation | undefined): Detection {
  return truncation ? Object.assign(d, { truncatedFrom: truncation.from }) : d;
}

/** The timeline as a table: one row per target message. */
function prettyTimeline(points: readonly TimelinePoint[]): string {
  return formatTable(
    ['message', 'target msgs', 'P(bot)', 'label'],
    points.map((p) => [String(p.messageIndex), String(p.targetMessages), fmt(p.score), p.label ?? 'abstain']),
  );
}

/**
 * `botlens detect FILE|- [--json|--pretty] [--timeline] [--allow-partial]`: judges one transcript and prints the
 * result (JSON by default). A member that fails makes the command print the member and its reason on stderr and
 * exit 3 without a verdict (with `--json` the full result, errors included, is still printed);
 * `--allow-partial` scores from the members that ran. `--timeline` adds the score after each of the target's
 * messages.
 */
export function registerDetectCommand(program: Command): void {
  addTranscriptFlags(
    addDetectorFlags(
      program
        .command('detect')
        .description('judge the target speaker of one transcript (a JSON file, or - for standard input)')
        .argument('<file>', 'transcript JSON: { "messages": [...], "target": "..." }, or - for stdin')
        .option('--json', 'print the full result as JSON, members and their errors included (the default)')
        .option('--pretty', 'print a readable table instead of JSON')
        .option('--timeline', "also give the score after each of the target's messages")
        .option('--quiet', 'no model-loading progress bar')
        .option(
          '--allow-partial',
          'score from the members that ran when one fails (default: exit 3 without a verdict)',
        ),
      { strategy: 'weighted-mean', preset: 'fitted-only' },
    ),
  ).action(async (file: string, flags: DetectFlags, cmd: Command) => {
    if (flags.json && flags.pretty)
      usageError(cmd, '--json and --pretty cannot both be given: give one of them');
    await checkCommandPackages({ flags });
    const loadBar = loadProgressFor(flags.quiet);
    // The models the check loads stay loaded until detection has run: the detector's own load shares them.
    let releaseChecked = async (): Promise<void> => undefined;
    let detector: Awaited<ReturnType<typeof detectorFromFlags>> | undefined;
    try {
      releaseChecked = await refuseUnfittedSpec(flags, 'detect', {
        ...loadProgressOptions(loadBar),
        inputs: file === '-' ? [] : [file],
      });
      const transcript = await readTranscriptWithFlags(file, flags);
      const truncation = reportTruncation(transcript);
      detector = await detectorFromFlags(flags, loadProgressOptions(loadBar));
      const result = withTruncation(await detector.detect(transcript), truncation);
      const withheld = reportFailedMembers(failedMembers(result), {
        allowPartial: flags.allowPartial ?? false,
        refusal: (n) =>
          `no verdict: ${n} detector(s) failed. Fix them, or pass --allow-partial to score from the others.`,
      });
      if (withheld) {
        if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      let timeline: TimelinePoint[] | undefined;
      if (flags.timeline) {
        const { detectTimeline } = await import('../../core/timeline.js');
        const { limits } = transcriptOptionsFromFlags(flags);
        timeline = await detectTimeline(detector, transcript, {
          ...(limits && { limits }),
          ...(truncation && { messageOffset: truncation.dropped }),
        });
        const refused = reportFailedMembers(timelineFailures(timeline), {
          allowPartial: flags.allowPartial ?? false,
          refusal: (n) =>
            `no timeline: ${n} detector(s) failed part way. Fix them, or pass --allow-partial to keep the points (each names the members it lacks).`,
        });
        if (refused) {
          if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, timeline }, null, 2)}\n`);
          return;
        }
      }
      if (flags.pretty) {
        // The terminal's width, or 80 when standard output is not a terminal (a file, a pipe).
        const parts = [prettyDetection(result, terminalColumns(process.stdout))];
        if (timeline) parts.push('', prettyTimeline(timeline));
        process.stdout.write(`${parts.join('\n')}\n`);
      } else {
        const out = timeline ? { ...result, timeline } : result;
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      }
    } finally {
      loadBar?.stop();
      await detector?.dispose?.();
      await releaseChecked();
    }
  });
}
