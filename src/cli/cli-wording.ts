import type { Command } from 'commander';

/**
 * The remedies library errors name in library terms (an option of a function), each with what a user of the CLI
 * does instead. Library messages word a remedy exactly as `library` reads (tests keep the two in step), and
 * {@link inCliTerms} puts the `cli` wording in its place before a CLI prints the message.
 */
export const CLI_REMEDIES: readonly {
  library: string;
  cli: string;
  /** The flags `cli` names: a command without them gets `otherwise` instead. */
  flags?: readonly string[];
  /** The wording for a command that lacks `flags`. */
  otherwise?: string;
}[] = [
  // quantize and optimize (their --overwrite flag)
  {
    library: 'pass overwrite: true to replace it',
    cli: 'pass --overwrite to replace it',
    flags: ['--overwrite'],
    otherwise: 'remove it to replace it',
  },
  // lora merge (its --force flag)
  {
    library: 'choose another folder or pass overwrite: true',
    cli: 'choose another --out or pass --force',
    flags: ['--force'],
    otherwise: 'choose another folder or remove it',
  },
  // score --resume
  {
    library: 'continue it with resume: true or remove it',
    cli: 'continue it with --resume, or remove it',
    flags: ['--resume'],
    otherwise: 'remove it',
  },
  {
    library: "pass failedLines: 'keep' to keep those lines",
    cli: 'pass --allow-partial to keep those lines',
    flags: ['--allow-partial'],
  },
  // transcript limits: detect, eval, fit and score have --max-messages and --truncate; no command has a flag for
  // a message's length
  {
    library: 'or raise maxMessages',
    cli: 'with --truncate, or pass a larger --max-messages',
    flags: ['--truncate', '--max-messages'],
    otherwise: '(this command has no flag to raise the limit)',
  },
  // pull and check-model (their --hub-url flag; every command reads HF_ENDPOINT)
  {
    library: 'check the network and hubUrl',
    cli: 'check the network and --hub-url',
    flags: ['--hub-url'],
    otherwise: 'check the network and HF_ENDPOINT',
  },
  // The library names HF_ENDPOINT where the caller gave no hubUrl (a detector's download, pull without --hub-url):
  // pull and check-model also take --hub-url.
  {
    library: 'check the network and HF_ENDPOINT',
    cli: 'check the network and HF_ENDPOINT (or pass --hub-url)',
    flags: ['--hub-url'],
  },
  {
    library: 'check HF_ENDPOINT points at a Hugging Face Hub',
    cli: 'check HF_ENDPOINT (or --hub-url) points at a Hugging Face Hub',
    flags: ['--hub-url'],
  },
  {
    library: 'check hubUrl points at a Hugging Face Hub',
    cli: 'check --hub-url points at a Hugging Face Hub',
    flags: ['--hub-url'],
    otherwise: 'check HF_ENDPOINT points at a Hugging Face Hub',
  },
  // a detector's model that cannot be loaded (runtime/model-location.ts): the detector flags' --model-dir and
  // --model NAME=DIR. serve has neither: its config's keys are "modelDir" and "offline", as the library says.
  { library: ', or modelDir).', cli: ', or --model-dir DIR).', flags: ['--model-dir'] },
  {
    library: 'modelDir must hold the folder',
    cli: '--model-dir must hold the folder',
    flags: ['--model-dir'],
  },
  {
    library: 'and point modelDir at the cache',
    cli: 'and point --model-dir at the cache',
    flags: ['--model-dir'],
  },
  {
    library: 'or set modelDir to a folder holding',
    cli: 'or pass --model-dir a folder holding',
    flags: ['--model-dir'],
  },
  {
    library: '(without offline / BOTLENS_OFFLINE)',
    cli: '(without BOTLENS_OFFLINE)',
    flags: ['--model-dir'],
  },
  { library: 'Point "model" at a folder', cli: 'Point --model NAME=DIR at a folder', flags: ['--model'] },
  {
    library: 'split the message or raise maxTextLength',
    cli: 'split the message into shorter ones (the CLI has no flag to raise this limit; the library takes limits.maxTextLength)',
  },
];

/**
 * The library options whose CLI flag is not their name in kebab case (`hubUrl` is `--hub-url`), each with that
 * flag: the one mapping the CLI uses to name a flag in a library error. An `InvalidOptionsError` on one of these
 * while a command that has the flag runs is a usage error (exit 2): the value given to the flag is wrong.
 */
export const LIBRARY_OPTION_FLAGS: Readonly<Record<string, string>> = {
  // check-model --budget (checkModel's memoryBudget)
  memoryBudget: '--budget',
  // pull --dtype (pullModel's dtypes)
  dtypes: '--dtype',
  // --model FILE that is not a saved detector (readDetectorStateFile's path)
  path: '--model',
  // fit/eval --member-prefix-cuts
  memberPrefixCuts: '--member-prefix-cuts',
};

/**
 * The flag of the command (one of `flags`) that a library option is given through: its entry in
 * {@link LIBRARY_OPTION_FLAGS}, else its name in kebab case; `undefined` when the command has no such flag.
 *
 * @param option - a library option name, e.g. `memoryBudget`
 * @param flags - the long flags of the command
 */
export function flagOfOption(option: string, flags: ReadonlySet<string>): string | undefined {
  const flag = LIBRARY_OPTION_FLAGS[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return flags.has(flag) ? flag : undefined;
}

/**
 * Whether `err` is a bad value of a flag the command has, named by the library: an `InvalidOptionsError` on an
 * option of {@link LIBRARY_OPTION_FLAGS} (exit 2, as a value refused while the command line is parsed).
 *
 * @param option - the option an `InvalidOptionsError` names
 * @param flags - the long flags of the command that ran
 */
export function isFlagValueError(option: string, flags: ReadonlySet<string> | undefined): boolean {
  return (
    flags !== undefined &&
    Object.hasOwn(LIBRARY_OPTION_FLAGS, option) &&
    flagOfOption(option, flags) !== undefined
  );
}

/**
 * An `InvalidOptionsError` message that names a library option the command has as a flag (`Invalid option "out":
 * ... choose another out`, `Invalid option "hubUrl"`, `Invalid option "memoryBudget"`) with the flag instead
 * (`"--out"`, `another --out`, `"--hub-url"`, `"--budget"`); other messages, and options the command has no flag
 * for, are kept.
 */
function withFlagName(message: string, flags: ReadonlySet<string> | undefined): string {
  const name = /^Invalid option "([a-z][a-zA-Z]*)":/.exec(message)?.[1];
  if (name === undefined || flags === undefined) return message;
  const flag = flagOfOption(name, flags);
  if (flag === undefined) return message;
  return message
    .replace(`Invalid option "${name}"`, `Invalid option "${flag}"`)
    .split(`another ${name}`)
    .join(`another ${flag}`);
}

/**
 * A library error's message with its remedies in CLI terms (see {@link CLI_REMEDIES}); other text is kept.
 *
 * @param message - the message
 * @param flags - the long flags of the command that failed (`--force`...): a remedy naming a flag it lacks is
 *   worded without it; `undefined` when no command ran (every remedy in its CLI wording)
 */
export function inCliTerms(message: string, flags?: ReadonlySet<string>): string {
  let out = withFlagName(message, flags);
  for (const r of CLI_REMEDIES) {
    const has = flags === undefined || r.flags === undefined || r.flags.every((f) => flags.has(f));
    const wording = has ? r.cli : (r.otherwise ?? r.library);
    out = out.split(r.library).join(wording);
  }
  return out;
}

/**
 * The long flags of a command (`--truncate`, `--max-messages`...), for {@link inCliTerms}: remedies name only those.
 *
 * @param cmd - the command that runs
 */
export function longFlagsOf(cmd: Command): ReadonlySet<string> {
  return new Set(cmd.options.flatMap((o) => (o.long === undefined ? [] : [o.long])));
}
