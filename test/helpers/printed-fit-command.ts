import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ProcessResult, ROOT, runProcess } from './run-cli.js';
import { CHATS } from './sourced-chats.js';

/** The `botlens fit ... --data train.jsonl --out fitted.json` command a refusal prints, if it prints one. */
export function printedFitCommand(message: string): string | undefined {
  return /(botlens fit .*?--data train\.jsonl --out fitted\.json)/.exec(message)?.[1];
}

/**
 * Runs `command` as printed, through `sh -c`, in `dir` where `train.jsonl` is the 60 labelled chats of
 * {@link CHATS} and `botlens` is the CLI from source (offline): what a user who copies the command runs.
 *
 * @param command - a shell command line starting with `botlens`
 * @param dir - the working folder (created); `fitted.json` lands in it
 */
export async function runPrinted(command: string, dir: string): Promise<ProcessResult> {
  await mkdir(dir, { recursive: true });
  await copyFile(CHATS, join(dir, 'train.jsonl'));
  const tsx = resolve(ROOT, 'node_modules/tsx/dist/loader.mjs');
  const main = resolve(ROOT, 'src/cli/main.ts');
  return runProcess(
    'sh',
    ['-c', `botlens() { "$BOTLENS_NODE" --import "$BOTLENS_TSX" "$BOTLENS_MAIN" "$@"; }\n${command}`],
    {
      cwd: dir,
      env: {
        ...process.env,
        BOTLENS_NODE: process.execPath,
        BOTLENS_TSX: tsx,
        BOTLENS_MAIN: main,
        BOTLENS_OFFLINE: '1',
        NODE_OPTIONS: '',
        NO_COLOR: '1',
      },
    },
  );
}
