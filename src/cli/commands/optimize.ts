import type { Command } from 'commander';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { parseNumberFlag } from '../../flags/parse-number.js';
import { assertOutputSeparate, checkOutputFolder } from '../../fs/safe-paths.js';
import {
  DEFAULT_OPTIMIZE_PASSES,
  OPTIMIZE_PASSES,
  type OptimizePass,
} from '../../quant/optimize/optimize-model.js';
import { ARG } from '../flag-parsers.js';
import { formatTable } from '../format-table.js';

interface OptimizeFlags {
  out: string;
  passes?: string;
  tolerance: string;
  overwrite?: boolean;
  json?: boolean;
}

function passesFromFlag(value: string | undefined): OptimizePass[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').filter(Boolean);
  for (const p of list) {
    if (!(OPTIMIZE_PASSES as readonly string[]).includes(p)) {
      throw new InvalidOptionsError('--passes', `unknown pass "${p}": use ${OPTIMIZE_PASSES.join(', ')}`);
    }
  }
  return list as OptimizePass[];
}

/**
 * `botlens optimize DIR --out OUT`: writes a copy of a model folder whose float ONNX files have attention and
 * GELU fused into ONNX Runtime's contrib operators and residual + bias before each LayerNorm summed in one
 * `Sum`, each checked against the original.
 *
 * @param program - the root commander program
 */
export function registerOptimizeCommand(program: Command): void {
  program
    .command('optimize')
    .description(
      "fuse a model folder's ONNX graphs (attention, residual LayerNorm, GELU) into a new folder; quantize it after",
    )
    .argument('<dir>', 'model folder in the transformers.js layout (config.json, onnx/model.onnx)')
    .requiredOption('--out <dir>', 'folder to write (must not exist, and must not overlap the input)')
    .option(
      '--passes <list>',
      `comma-separated passes from ${OPTIMIZE_PASSES.join(',')} (default: ${DEFAULT_OPTIMIZE_PASSES.join(',')})`,
    )
    .option('--tolerance <x>', 'largest output difference allowed against the original', ARG.positive, '1e-4')
    .option('--overwrite', 'replace --out when it exists')
    .option('--json', 'print the full result as JSON')
    .action(async (dir: string, flags: OptimizeFlags) => {
      const tolerance = parseNumberFlag('--tolerance', flags.tolerance, {
        min: 0,
        max: Number.POSITIVE_INFINITY,
        minOpen: true,
      });
      const passes = passesFromFlag(flags.passes);
      // Named as the CLI names them (the library calls the input modelDir).
      assertOutputSeparate({ option: '--out', path: flags.out }, [{ option: 'folder', path: dir }]);
      checkOutputFolder(flags.out, {
        option: '--out',
        force: flags.overwrite,
        forceFlag: '--overwrite',
        createsParents: false,
      });
      const { optimizeModelFolder } = await import('../../quant/optimize/optimize-folder.js');
      const result = await optimizeModelFolder(dir, {
        out: flags.out,
        tolerance,
        overwrite: flags.overwrite ?? false,
        ...(passes && { passes }),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const rows = result.files.map((f) => [
        f.file,
        String(f.report?.attention ?? 0),
        String(f.report?.residualLayerNorm ?? 0),
        String(f.report?.skipLayerNorm ?? 0),
        String(f.report?.gelu ?? 0),
        String(f.report?.biasGelu ?? 0),
        f.report ? `${f.report.nodesBefore} -> ${f.report.nodesAfter}` : '-',
        f.maxAbsDiff === undefined ? '-' : f.maxAbsDiff.toExponential(2),
      ]);
      process.stdout.write(
        `${formatTable(['file', 'attention', 'residual-ln', 'skip-ln', 'gelu', 'bias-gelu', 'nodes', 'max diff'], rows)}\n`,
      );
      for (const f of result.files) if (f.note) process.stderr.write(`botlens: note: ${f.file}: ${f.note}\n`);
      process.stdout.write(`wrote ${result.out}\n`);
    });
}
