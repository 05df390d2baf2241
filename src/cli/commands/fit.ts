import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { addDetectorFlags, type DetectorFlags, detectorFromFlags } from '../detector-flags.js';
import { addTranscriptFlags, readLabelledWithFlags, type TranscriptFlags } from '../transcript-flags.js';

/** `botlens fit --data train.jsonl --out fitted.json`: fits an ensemble and saves it. */
export function registerFitCommand(program: Command): void {
  addTranscriptFlags(
    addDetectorFlags(
      program
        .command('fit')
        .description('fit an ensemble on labelled speaker-level JSONL and save it for `detect --model`')
        .requiredOption('--data <file>', 'labelled training data (JSONL: messages, target, label)')
        .requiredOption('--out <file>', 'where to write the fitted ensemble (JSON)'),
      { strategy: 'stacking' },
    ),
  ).action(async (flags: DetectorFlags & TranscriptFlags & { data: string; out: string }) => {
    const train = await readLabelledWithFlags(flags.data, flags);
    const detector = await detectorFromFlags(flags);
    try {
      if (!detector.fit || !detector.toJSON) {
        throw new InvalidOptionsError('--detectors', `${detector.name} cannot be fitted and saved`);
      }
      const t0 = performance.now();
      await detector.fit(train);
      await writeFile(flags.out, `${JSON.stringify(detector.toJSON())}\n`);
      process.stderr.write(
        `botlens: fitted ${detector.name} on ${train.length} transcripts in ${((performance.now() - t0) / 1000).toFixed(1)} s; saved ${flags.out}\n`,
      );
    } finally {
      await detector.dispose?.();
    }
  });
}
