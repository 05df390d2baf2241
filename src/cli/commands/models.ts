import { type Command, Option } from 'commander';
import { MODEL_ZOO, ZOO_DETECTORS, type ZooDetector, type ZooEntry } from '../../zoo/model-zoo.js';
import { formatTable } from '../format-table.js';

function params(n: number): string {
  return n >= 1e9 ? `${Number((n / 1e9).toPrecision(3))}B` : `${Number((n / 1e6).toPrecision(3))}M`;
}

/**
 * `botlens models [--detector nli] [--json]`: lists the model zoo, the recommended models per detector (a `*`
 * marks each detector's default).
 *
 * @param program - the root command to add `models` to
 */
export function registerModelsCommand(program: Command): void {
  program
    .command('models')
    .description('list the recommended models per detector (the model zoo); * marks the default')
    .addOption(
      new Option('--detector <name>', 'only the models for this detector').choices([...ZOO_DETECTORS]),
    )
    .option('--json', 'print the catalogue as JSON')
    .action((flags: { detector?: ZooDetector; json?: boolean }) => {
      const entries = (Object.values(MODEL_ZOO) as ZooEntry[]).filter(
        (e) => flags.detector === undefined || e.detectors.includes(flags.detector),
      );
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      const rows = entries.map((e) => [
        e.id,
        e.detectors.map((d) => (e.defaultFor.includes(d) ? `${d}*` : d)).join(','),
        e.task,
        params(e.parameters),
        e.license,
        e.languages.join(','),
        e.dtypes.join(','),
        e.notes,
      ]);
      process.stdout.write(
        `${formatTable(['model', 'detectors', 'task', 'params', 'license', 'languages', 'dtypes', 'notes'], rows)}\n`,
      );
    });
}
