/**
 * The remedies library errors name in library terms (an option of a function), each with what a user of the CLI
 * does instead. Library messages word a remedy exactly as `library` reads (tests keep the two in step), and
 * {@link inCliTerms} puts the `cli` wording in its place before a CLI prints the message.
 */
export const CLI_REMEDIES: readonly { library: string; cli: string }[] = [
  // quantize and optimize (their --overwrite flag)
  { library: 'pass overwrite: true to replace it', cli: 'pass --overwrite to replace it' },
  // lora merge (its --force flag)
  { library: 'choose another folder or pass overwrite: true', cli: 'choose another --out or pass --force' },
  // score --resume
  { library: 'continue it with resume: true or remove it', cli: 'continue it with --resume, or remove it' },
  {
    library: "pass failedLines: 'keep' to keep those lines",
    cli: 'pass --allow-partial to keep those lines',
  },
  // transcript limits: the CLI has --max-messages (and --truncate), but no flag for a message's length
  {
    library: 'or raise maxMessages',
    cli: 'with --truncate, or pass a larger --max-messages',
  },
  {
    library: 'split the message or raise maxTextLength',
    cli: 'split the message into shorter ones (the CLI has no flag to raise this limit; the library takes limits.maxTextLength)',
  },
];

/**
 * A library error's message with its remedies in CLI terms (see {@link CLI_REMEDIES}); other text is kept.
 *
 * @param message - the message
 */
export function inCliTerms(message: string): string {
  let out = message;
  for (const r of CLI_REMEDIES) out = out.split(r.library).join(r.cli);
  return out;
}
