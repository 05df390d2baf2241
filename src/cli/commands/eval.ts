import type { Command } from 'commander';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { evaluateDetector } from '../../eval/evaluate.js';
import { addDetectorFlags, type DetectorFlags, detectorFromFlags } from '../detector-flags.js';
import { formatTable } from '../format-table.js';
import { loadProgressFor, loadProgressOptions } from '../load-progress.js';
import { readLabelledData } from '../read-labelled.js';
import { createTaskProgress } from '../task-progress.js';

/** `botlens eval --data FILE.jsonl [--fit TRAIN.jsonl]`: metrics of an ensemble on labelled data. */
export function registerEvalCommand(program: Command): void {
  addDetectorFlags(
    program
      .command('eval')
      .description('evaluate detectors on labelled speaker-level JSONL (bot = positive class)')
      .requiredOption('--data <file>', 'labelled evaluation data (JSONL: messages, target, label)')
      .option('--fit <file>', 'labelled training data to fit on first')
      .option('--json', 'print one JSON object')
      .option('--quiet', 'no progress display'),
    { strategy: 'weighted-mean' },
  ).action(async (flags: DetectorFlags & { data: string; fit?: string; json?: boolean; quiet?: boolean }) => {
    const data = await readLabelledData(flags.data, '--data');
    const train = flags.fit ? await readLabelledData(flags.fit, '--fit') : undefined;
    const loadBar = loadProgressFor(flags.quiet);
    const detector = await detectorFromFlags(flags, loadProgressOptions(loadBar));
    const progress = createTaskProgress({ label: 'eval', quiet: flags.quiet });
    try {
      let fitMs = 0;
      if (train) {
        if (!detector.fit) throw new InvalidOptionsError('--detectors', `${detector.name} cannot be fitted`);
        const t0 = performance.now();
        progress.busy(`fitting on ${train.length} transcripts`);
        await detector.fit(train);
        fitMs = performance.now() - t0;
      }
      const report = await evaluateDetector(detector, data, {
        onProgress: (p) => progress.update(p.done, p.total),
      });
      progress.stop();
      const out = {
        n: report.n,
        f1: report.f1,
        precision: report.precision,
        recall: report.recall,
        accuracy: report.accuracy,
        auroc: report.auroc,
        tpr_at_1fpr: report.tprAt1Fpr,
        tpr_at_5fpr: report.tprAt5Fpr,
        ece: report.ece,
        abstained: report.abstained,
        threshold: report.threshold,
        detectors: flags.detectors,
        strategy: flags.strategy,
        fit_ms: Math.round(fitMs),
        eval_ms: Math.round(report.elapsedMs),
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else
        process.stdout.write(
          `${formatTable(
            ['metric', 'value'],
            Object.entries(out).map(([k, v]) => [
              k,
              typeof v === 'number' ? String(Math.round(v * 10000) / 10000) : String(v),
            ]),
          )}\n`,
        );
    } finally {
      loadBar?.stop();
      progress.stop();
      await detector.dispose?.();
    }
  });
}
