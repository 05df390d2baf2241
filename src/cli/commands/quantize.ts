import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { parseNumberFlag } from '../../flags/parse-number.js';
import { checkWritable } from '../../fs/check-writable.js';
import type { Int4BlockSize } from '../../quant/int4.js';
import type { Int8Format, QuantizeOptions } from '../../quant/quantize-options.js';
import { usageChecked } from '../flag-parsers.js';
import { formatTable } from '../format-table.js';
import { usageError } from '../usage-error.js';

interface QuantizeFlags {
  bits?: string;
  blockSize: string;
  asymmetric?: boolean;
  perTensor?: boolean;
  exclude?: string[];
  quantizeHead?: boolean;
  quantizeEmbeddings?: boolean;
  int8Format: string;
  accuracyLevel: string;
  reduceRange: 'auto' | 'on' | 'off';
  files?: string[];
  overwrite?: boolean;
  verify: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/**
 * A whole-number flag that takes one of a few values (parsed as every number flag is, so `""` is not 0).
 *
 * @param flag - the flag, named in the error
 * @param value - its value as typed
 * @param allowed - the values it takes
 * @param expected - the error's description of them
 */
function oneOf<T extends number>(flag: string, value: string, allowed: readonly T[], expected: string): T {
  const message = () => `${expected}, got ${value}`;
  const n = parseNumberFlag(flag, value, { min: 0, max: Number.POSITIVE_INFINITY, integer: true }, message);
  if (!(allowed as readonly number[]).includes(n)) throw new InvalidOptionsError(flag, message());
  return n as T;
}

/** `--bits`: 8 or 4. */
const parseBits = (v: string) => oneOf('--bits', v, [8, 4], 'expected 8 or 4');
/** `--block-size`: a power of two from 16 to 256. */
const parseBlockSize = (v: string) =>
  oneOf('--block-size', v, [16, 32, 64, 128, 256], 'expected 16, 32, 64, 128 or 256');
/** `--accuracy-level`: 0 to 4. */
const parseAccuracyLevel = (v: string) =>
  oneOf('--accuracy-level', v, [0, 1, 2, 3, 4], 'expected an integer 0 to 4');
/** `--int8-format`: matmul-integer or dynamic-matmul. */
function parseInt8Format(v: string): Int8Format {
  if (v !== 'matmul-integer' && v !== 'dynamic-matmul')
    throw new InvalidOptionsError('--int8-format', `expected matmul-integer or dynamic-matmul, got ${v}`);
  return v;
}

/**
 * Turns the command's flags into {@link QuantizeOptions}, checking them.
 *
 * @param flags - parsed commander flags
 * @throws InvalidOptionsError naming the flag at fault
 */
function quantizeOptionsFromFlags(flags: QuantizeFlags & { bits: string }): QuantizeOptions {
  const bits = parseBits(flags.bits);
  const blockSize = parseBlockSize(flags.blockSize);
  const accuracyLevel = parseAccuracyLevel(flags.accuracyLevel);
  parseInt8Format(flags.int8Format);
  return {
    bits,
    blockSize: blockSize as Int4BlockSize,
    symmetric: !flags.asymmetric,
    perChannel: !flags.perTensor,
    exclude: flags.exclude ?? [],
    quantizeHead: flags.quantizeHead ?? false,
    quantizeEmbeddings: flags.quantizeEmbeddings ?? false,
    int8Format: flags.int8Format as Int8Format,
    accuracyLevel: accuracyLevel as 0 | 1 | 2 | 3 | 4,
    reduceRange: flags.reduceRange === 'auto' ? 'auto' : flags.reduceRange === 'on',
    ...(flags.files ? { files: flags.files } : {}),
    overwrite: flags.overwrite ?? false,
    verify: flags.verify,
  };
}

/**
 * `botlens quantize DIR --bits 8|4`: writes `onnx/model_quantized.onnx` (q8) or `onnx/model_q4.onnx` (q4) next
 * to each float model of a transformers.js model folder, then prints sizes and the output cosine to float32.
 *
 * @param program - the root commander program
 */
export function registerQuantizeCommand(program: Command): void {
  program
    .command('quantize')
    .description(
      "quantize a model folder's ONNX models to int8 (--bits 8, loaded as dtype q8) or 4-bit (--bits 4, dtype q4), next to the float ones",
    )
    .argument('<dir>', 'model folder in the transformers.js layout (config.json, onnx/model.onnx)')
    // Required, but checked in the action: commander checks required options before unknown ones, so
    // `--dtype q8` would be answered with a missing --bits rather than the unknown option.
    .option(
      '--bits <n>',
      '8 (dynamic int8, onnx/model_quantized.onnx) or 4 (MatMulNBits, onnx/model_q4.onnx); required',
      usageChecked(parseBits),
    )
    .option(
      '--block-size <n>',
      '4-bit: input features per scale (16, 32, 64, 128, 256)',
      usageChecked(parseBlockSize),
      '32',
    )
    .option('--asymmetric', 'asymmetric weights with zero points (default: symmetric)')
    .option('--per-tensor', '8-bit: one scale per matrix instead of one per output channel')
    .option(
      '--exclude <names>',
      'layers to keep float32: module or node names, comma-separated (repeatable)',
      collect,
    )
    .option(
      '--quantize-head',
      'also quantize layers that write a graph output (classifier, LM head, projection)',
    )
    .option('--quantize-embeddings', 'also store embedding tables as int8')
    .option(
      '--int8-format <format>',
      '8-bit operators: matmul-integer (standard ONNX) or dynamic-matmul (ONNX Runtime contrib)',
      usageChecked(parseInt8Format),
      'matmul-integer',
    )
    .option(
      '--accuracy-level <n>',
      '4-bit: MatMulNBits accuracy_level (0 float compute, 4 int8 compute)',
      usageChecked(parseAccuracyLevel),
      '4',
    )
    .addOption(
      new Option(
        '--reduce-range <mode>',
        '8-bit: 7-bit weights, needed on x86-64 CPUs without VNNI (auto: decided by this CPU)',
      )
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option(
      '--files <names>',
      'only these files of onnx/ (comma-separated), default: every float model',
      collect,
    )
    .option('--overwrite', 'replace existing quantized files')
    .option('--no-verify', 'skip the ONNX Runtime check of the result against the float model')
    .option('--json', 'print the full result as JSON')
    .action(async (dir: string, flags: QuantizeFlags, cmd: Command) => {
      const { bits } = flags;
      if (bits === undefined) usageError(cmd, "required option '--bits <n>' not specified");
      const options = quantizeOptionsFromFlags({ ...flags, bits });
      // The quantized files go next to the float ones: their folder must be writable before any model is read.
      const onnxDir = join(dir, 'onnx');
      if (statSync(onnxDir, { throwIfNoEntry: false })?.isDirectory())
        checkWritable(join(onnxDir, 'model_quantized.onnx'), { option: '<dir>' });
      const { quantize } = await import('../../quant/quantize.js');
      const result = await quantize(dir, {
        ...options,
        onWarning: (m) => process.stderr.write(`botlens: warning: ${m}\n`),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const rows = result.files.map((f) => [
        basename(f.source),
        f.output ? basename(f.output) : `(${f.report.status})`,
        String(f.report.quantized.length),
        String(f.report.kept.length),
        mb(f.bytesIn),
        f.output ? mb(f.bytesOut) : '-',
        f.output ? `${(f.bytesIn / f.bytesOut).toFixed(2)}x` : '-',
        f.cosine === undefined ? '-' : f.cosine.toFixed(5),
      ]);
      process.stdout.write(
        `${formatTable(['source', 'output', 'quantized', 'kept', 'size in', 'size out', 'smaller', 'cosine'], rows)}\n`,
      );
      if (result.reduceRange) {
        const { reduceRange, reason } = result.reduceRange;
        process.stdout.write(
          `int8 weights: ${reduceRange ? '7-bit (reduce range)' : 'full 8-bit range'}; ${reason}\n`,
        );
      }
      process.stdout.write(`load it with dtype: '${result.dtype}'\n`);
    });
}
