import { type Command, Option } from 'commander';
import { MODEL_DTYPES, type ModelDtype } from '../../runtime/model-options.js';
import { dtypeListArg } from '../flag-parsers.js';

function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

/**
 * `botlens pull ID [--dtype q8] [--graphs model] [--cache-dir DIR] [--revision REV] [--hub-url URL]`: downloads a
 * model's config,
 * tokenizer and ONNX files into the botlens cache (with a progress bar on stderr) for later offline use.
 *
 * @param program - the root command to add `pull` to
 */
export function registerPullCommand(program: Command): void {
  program
    .command('pull')
    .description('download a model into the botlens cache for offline use')
    .argument('<id>', 'hub model id, e.g. Xenova/e5-small-v2')
    .addOption(
      new Option(
        '--dtype <dtype>',
        `ONNX weight variant, repeatable or comma-separated (${MODEL_DTYPES.join(', ')})`,
      )
        .argParser(dtypeListArg)
        .default([] as string[]),
    )
    .addOption(
      new Option(
        '--graphs <names>',
        'only these ONNX graphs, repeatable or comma-separated (model; text_model,vision_model for CLIP; decoder_model_merged); default: every graph of the dtype',
      )
        .argParser(collect)
        .default([] as string[]),
    )
    .option('--cache-dir <dir>', 'cache root (default $BOTLENS_CACHE_DIR or ~/.cache/botlens)')
    .option('--revision <rev>', 'branch, tag or commit sha (pin a sha for reproducible deployments)')
    .option('--hub-url <url>', 'hub base URL (default $HF_ENDPOINT or https://huggingface.co)')
    .option('--force', 'download again even when the files are cached')
    .option('--quiet', 'no progress bar')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        id: string,
        flags: {
          dtype: string[];
          graphs: string[];
          cacheDir?: string;
          revision?: string;
          hubUrl?: string;
          force?: boolean;
          quiet?: boolean;
          json?: boolean;
        },
      ) => {
        // Before any request: a --cache-dir that is a file, or a folder that cannot be written, fails now, not
        // after the hub was asked.
        const { checkWritable } = await import('../../fs/check-writable.js');
        const { resolveCacheDir } = await import('../../hub/cache-dir.js');
        checkWritable(resolveCacheDir(flags.cacheDir), {
          option: flags.cacheDir !== undefined ? '--cache-dir' : 'BOTLENS_CACHE_DIR',
          kind: 'folder',
        });
        const { pullModel } = await import('../../hub/pull-model.js');
        const { formatBytes } = await import('../../select/format-bytes.js');
        const bar = flags.quiet ? undefined : (await import('../progress-bar.js')).createLoadProgressBar();
        try {
          const result = await pullModel(id, {
            dtypes: flags.dtype.length > 0 ? (flags.dtype as ModelDtype[]) : undefined,
            graphs: flags.graphs.length > 0 ? flags.graphs : undefined,
            cacheDir: flags.cacheDir,
            revision: flags.revision,
            hubUrl: flags.hubUrl,
            force: flags.force,
            onProgress: bar?.onProgress,
          });
          bar?.stop();
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(result)}\n`);
            return;
          }
          const cached = result.files.filter((f) => f.cached).length;
          process.stdout.write(
            `Pulled ${result.id}@${result.revision}: ${result.files.length} files, ${formatBytes(result.downloadedBytes)} downloaded${
              cached > 0 ? `, ${cached} already cached` : ''
            }, into ${result.folder}\n`,
          );
        } finally {
          bar?.stop();
        }
      },
    );
}
