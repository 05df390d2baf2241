import type { Command } from 'commander';
import type { Detection } from '../../core/detector.js';
import { addDetectorFlags, type DetectorFlags, detectorFromFlags } from '../detector-flags.js';
import { formatTable } from '../format-table.js';
import { addTranscriptFlags, readTranscriptWithFlags, type TranscriptFlags } from '../transcript-flags.js';

interface MemberView {
  detector: string;
  score?: number | null;
  label?: string | null;
  elapsedMs?: number;
  error?: { message: string };
  evidence?: Detection['evidence'];
}

function fmt(score: number | null | undefined): string {
  return score === null || score === undefined ? 'abstain' : score.toFixed(3);
}

/** Renders a detection (or ensemble result) as a readable report. */
function prettyDetection(d: Detection): string {
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
        evidence.map(({ m, e }) => [
          m,
          e.name,
          typeof e.value === 'number' ? String(Math.round(e.value * 1000) / 1000) : JSON.stringify(e.value),
          e.sentence,
        ]),
      ),
    );
  }
  return out.join('\n');
}

/** `botlens detect FILE|-`: judges one transcript and prints the ensemble result. */
export function registerDetectCommand(program: Command): void {
  addTranscriptFlags(
    addDetectorFlags(
      program
        .command('detect')
        .description('judge the target speaker of one transcript (a JSON file, or - for standard input)')
        .argument('<file>', 'transcript JSON: { "messages": [...], "target": "..." }, or - for stdin')
        .option('--pretty', 'print a readable table instead of JSON'),
      { strategy: 'weighted-mean' },
    ),
  ).action(async (file: string, flags: DetectorFlags & TranscriptFlags & { pretty?: boolean }) => {
    const transcript = await readTranscriptWithFlags(file, flags);
    const detector = await detectorFromFlags(flags);
    try {
      const result = await detector.detect(transcript);
      process.stdout.write(`${flags.pretty ? prettyDetection(result) : JSON.stringify(result, null, 2)}\n`);
    } finally {
      await detector.dispose?.();
    }
  });
}
