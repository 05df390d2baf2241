import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './run-cli.js';

/** The 60 labelled chats of the quality fixture (JSONL, no `source` field). */
export const CHATS = join(ROOT, 'test/quality/fixtures/chats.jsonl');

/**
 * Writes {@link CHATS} to `path` with a `source` field on every record, `a` or `b`, alternating in pairs, so each
 * source holds bots and humans (for fits grouped by source, `--group-by source`).
 *
 * @param path - the JSONL file to write
 */
export async function writeTwoSourceChats(path: string): Promise<void> {
  const rows = (await readFile(CHATS, 'utf8')).trim().split('\n');
  await writeFile(
    path,
    `${rows.map((r, i) => JSON.stringify({ ...JSON.parse(r), source: Math.floor(i / 2) % 2 ? 'b' : 'a' })).join('\n')}\n`,
  );
}
