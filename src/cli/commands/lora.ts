import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { parseNumberFlag } from '../../flags/parse-number.js';
import type { TrainProgress } from '../../peft/training/train-core.js';
import { ARG } from '../flag-parsers.js';
import { readLabelledData } from '../read-labelled.js';
import { BAR_TERMINAL_OPTIONS } from '../terminal-bars.js';

interface MergeFlags {
  base: string;
  adapter: string[];
  out: string;
  force?: boolean;
  json?: boolean;
}

interface TrainFlags {
  model: string;
  data: string;
  validation?: string;
  out: string;
  r: string;
  alpha: string;
  targets: string;
  epochs: string;
  batchSize: string;
  lr: string;
  patience: string;
  maxLength: string;
  seed: string;
  botLabel: string;
  progress: boolean;
  quiet?: boolean;
  force?: boolean;
}

/** A repeatable flag's values; with no default, so a required one left out is a usage error. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A number flag of `lora train` (the trainer checks the ranges, naming the option). */
function num(name: string, v: string, integer: boolean): number {
  const any = { min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY, integer };
  return parseNumberFlag(name, v, any);
}

/**
 * Stops before any work when `--out` is (or is inside, or contains) one of the inputs, symlinks resolved.
 *
 * @param out - the `--out` folder
 * @param inputs - the input paths, each with the flag that named it
 */
async function assertOutSeparate(out: string, inputs: { option: string; path: string }[]): Promise<void> {
  const { assertOutputSeparate } = await import('../../fs/safe-paths.js');
  assertOutputSeparate({ option: '--out', path: out }, inputs);
}

/**
 * Stops before any work when the `--out` folder cannot be written (its nearest existing parent is missing a folder
 * or not writable) or already holds files and `--force` was not given: nothing is overwritten silently.
 *
 * @param out - the `--out` folder
 * @param force - `--force`
 */
async function checkOutFolder(out: string, force: boolean | undefined): Promise<void> {
  const { checkOutputFolder } = await import('../../fs/safe-paths.js');
  checkOutputFolder(out, { option: '--out', force: force === true });
}

/**
 * `botlens lora merge` (fold PEFT LoRA adapters into a base model folder) and `botlens lora train` (train a
 * LoRA adapter on labelled JSONL, in process, and save it in PEFT format). Heavy modules load only when a
 * subcommand runs.
 *
 * @param program - the root `botlens` command
 *
 * @example
 * ```ts
 * const program = new Command('botlens');
 * registerLoraCommand(program);
 * await program.parseAsync(['node', 'botlens', 'lora', 'merge', '--base', 'm', '--adapter', 'a', '--out', 'o']);
 * ```
 */
export function registerLoraCommand(program: Command): void {
  const lora = program
    .command('lora')
    .description('LoRA adapters: merge PEFT adapters into a model, or train one');

  lora
    .command('merge')
    .description(
      'merge PEFT LoRA adapter(s) into a base model folder and write a model folder transformers.js loads',
    )
    .requiredOption('--base <dir>', 'base model folder (config.json, tokenizer files, onnx/model.onnx)')
    .requiredOption(
      '--adapter <dir>',
      'PEFT adapter folder (adapter_config.json, adapter_model.safetensors); repeat to merge several',
      collect,
    )
    .requiredOption('--out <dir>', 'folder to write the merged model to')
    .option('--force', 'overwrite an existing merged model in --out')
    .option('--json', 'print the merge report as JSON')
    .action(async (flags: MergeFlags) => {
      await assertOutSeparate(flags.out, [
        { option: '--base', path: flags.base },
        ...flags.adapter.map((path) => ({ option: '--adapter', path })),
      ]);
      await checkOutFolder(flags.out, flags.force);
      const { mergeLoraAdapter } = await import('../../peft/merge.js');
      const t0 = performance.now();
      const report = await mergeLoraAdapter({
        base: flags.base,
        adapter: flags.adapter,
        out: flags.out,
        overwrite: flags.force === true,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      }
      for (const m of flags.json ? [] : report.merged) {
        process.stdout.write(
          `merged  ${m.module}  (r=${m.r}, scaling=${m.scaling}, max |dW|=${m.maxAbsDelta.toPrecision(3)}) -> ${m.initializer}\n`,
        );
      }
      for (const p of flags.json ? [] : report.replaced) {
        process.stdout.write(`replaced  ${p.parameter} -> ${p.initializer}${p.added ? ' (added)' : ''}\n`);
      }
      if (report.addedHead && !flags.json)
        process.stdout.write('added the standard classification head to the bare encoder before merging\n');
      process.stderr.write(
        `botlens: merged ${report.adapters.length} adapter(s) into ${flags.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    });

  lora
    .command('train')
    .description(
      'train a LoRA adapter (top layer query/value + head) on labelled JSONL and save it in PEFT format',
    )
    .requiredOption('--model <id|dir>', 'base model: a BERT-style classifier or encoder (folder or hub id)')
    .requiredOption('--data <file>', 'labelled training data (JSONL: messages, target, label)')
    .option('--validation <file>', 'labelled validation data for early stopping (default: 20% of --data)')
    .requiredOption('--out <dir>', 'adapter folder to write')
    .option('--force', 'write into --out when it already holds files (an earlier adapter is replaced)')
    .option('--r <n>', 'LoRA rank', ARG.anyWholeNumber, '8')
    .option('--alpha <n>', 'LoRA alpha (scaling = alpha / r)', ARG.anyNumber, '32')
    .option(
      '--targets <list>',
      'projections of the top layer with LoRA: query,key,value (empty: head only)',
      'query,value',
    )
    .option('--epochs <n>', 'most epochs', ARG.anyWholeNumber, '20')
    .option('--batch-size <n>', 'examples per Adam step', ARG.anyWholeNumber, '16')
    .option('--lr <x>', 'Adam learning rate', ARG.anyNumber, '0.003')
    .option(
      '--patience <n>',
      'epochs without validation improvement before stopping',
      ARG.anyWholeNumber,
      '3',
    )
    .option('--max-length <n>', 'most tokens per transcript', ARG.anyWholeNumber, '128')
    .option('--seed <n>', 'random seed', ARG.anyWholeNumber, '0')
    .option('--bot-label <label>', 'the label of config.id2label that means bot', 'bot')
    .option('--no-progress', 'no progress bar')
    .option('--quiet', 'no progress bar (same as --no-progress)')
    .option('--json', 'print the result as JSON (the default; kept for symmetry with the other commands)')
    .action(async (flags: TrainFlags) => {
      // The number flags and --targets are checked before any file is read.
      const numbers = {
        r: num('--r', flags.r, true),
        alpha: num('--alpha', flags.alpha, false),
        epochs: num('--epochs', flags.epochs, true),
        batchSize: num('--batch-size', flags.batchSize, true),
        learningRate: num('--lr', flags.lr, false),
        patience: num('--patience', flags.patience, true),
        maxLength: num('--max-length', flags.maxLength, true),
        seed: num('--seed', flags.seed, true),
      };
      const targets = flags.targets
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const t of targets) {
        if (t !== 'query' && t !== 'key' && t !== 'value')
          throw new InvalidOptionsError('--targets', `"${t}" is not one of query, key, value`);
      }
      await assertOutSeparate(flags.out, [
        // --model is an input only when it names a folder (a hub id is downloaded into the cache).
        ...(existsSync(flags.model) ? [{ option: '--model', path: flags.model }] : []),
        { option: '--data', path: flags.data },
        ...(flags.validation ? [{ option: '--validation', path: flags.validation }] : []),
      ]);
      await checkOutFolder(flags.out, flags.force);
      const { trainLora } = await import('../../peft/training/train-lora.js');
      const examples = await readLabelledData(flags.data, '--data');
      const validation = flags.validation
        ? await readLabelledData(flags.validation, '--validation')
        : undefined;
      const ac = new AbortController();
      const onSigint = () => ac.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      const bar = flags.progress && !flags.quiet && process.stderr.isTTY ? await progressBar() : undefined;
      try {
        const res = await trainLora({
          model: flags.model,
          examples,
          ...(validation ? { validation } : {}),
          out: flags.out,
          ...numbers,
          targets: targets as ('query' | 'key' | 'value')[],
          botLabel: flags.botLabel,
          signal: ac.signal,
          onProgress: (p) => {
            bar?.update(p);
            if (!bar && p.phase === 'epoch') {
              const s = p.stats;
              process.stderr.write(
                `epoch ${s.epoch}: train loss ${s.trainLoss.toFixed(4)}  val loss ${s.validationLoss.toFixed(4)}  val F1 ${s.validationF1.toFixed(3)}${p.best ? '  *' : ''}\n`,
              );
            }
          },
        });
        bar?.stop();
        process.stdout.write(
          `${JSON.stringify(
            {
              adapter: res.folder,
              base: res.base,
              addedHead: res.addedHead,
              bestEpoch: res.bestEpoch,
              stoppedEarly: res.stoppedEarly,
              validation: res.validation,
              trainableParameters: res.trainableParameters,
              totalParameters: res.totalParameters,
              trainableShare: res.trainableShare,
              counts: res.counts,
              seconds: { encode: res.timing.encodeMs / 1000, train: res.timing.trainMs / 1000 },
            },
            null,
            2,
          )}\n`,
        );
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
}

interface Bar {
  update(p: TrainProgress): void;
  stop(): void;
}

/** A cli-progress bar over encoding and training steps. */
async function progressBar(): Promise<Bar> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { ...BAR_TERMINAL_OPTIONS, format: '{phase} [{bar}] {value}/{total} {info}', clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let stopped = false;
  return {
    update(p) {
      if (stopped) return;
      if (p.phase === 'encode') {
        if (phase !== 'encode') bar.start(p.total, 0, { phase: 'encoding', info: '' });
        phase = 'encode';
        bar.update(p.done);
      } else if (p.phase === 'step') {
        const key = `epoch ${p.epoch}/${p.epochs}`;
        if (phase !== key) {
          bar.stop();
          bar.start(p.steps, 0, { phase: key, info: '' });
          phase = key;
        }
        bar.update(p.step, { info: `loss ${p.loss.toFixed(4)}` });
      } else {
        bar.update({
          info: `val loss ${p.stats.validationLoss.toFixed(4)} F1 ${p.stats.validationF1.toFixed(3)}${p.best ? ' *' : ''}`,
        });
      }
    },
    stop() {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
