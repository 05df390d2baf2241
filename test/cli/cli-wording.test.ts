/**
 * Library errors name library options (`overwrite: true`); the CLI prints them with its flags instead
 * (CLI_REMEDIES): every library wording in the table is still what the library says, and the CLI's output
 * names no library option.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_REMEDIES, inCliTerms } from '../../src/cli/cli-wording.js';
import { FailedLinesError } from '../../src/corpus/failed-lines-error.js';
import { resolveModelLocation } from '../../src/runtime/model-location.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('CLI wording of library remedies', () => {
  it('every library wording in the table is still used by the library (the table is in step)', () => {
    const text = sources(join(ROOT, 'src'))
      .filter((f) => !f.endsWith('cli-wording.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const r of CLI_REMEDIES) expect(text, r.library).toContain(r.library);
  });

  it('names only flags the failing command has (lora train has no --truncate or --max-messages)', () => {
    const m = 'messages has more than 200 messages: keep the last 200 or raise maxMessages';
    expect(inCliTerms(m, new Set(['--data', '--truncate', '--max-messages']))).toBe(
      'messages has more than 200 messages: keep the last 200 with --truncate, or pass a larger --max-messages',
    );
    expect(inCliTerms(m, new Set(['--data', '--out', '--force']))).toBe(
      'messages has more than 200 messages: keep the last 200 (this command has no flag to raise the limit)',
    );
    // Before any command ran (no flags known), the CLI wording.
    expect(inCliTerms(m)).toMatch(/--max-messages/);
    expect(inCliTerms('x: choose another folder or pass overwrite: true', new Set(['--out']))).toBe(
      'x: choose another folder or remove it',
    );
  });

  it("a model's load remedies name --model-dir and --model where the command has them, the config keys in serve", () => {
    const detectFlags = new Set(['--model', '--model-dir', '--detectors']);
    for (const opts of [{ modelDir: '/m' }, { offline: true }, {}, { model: '/no/such/folder' }]) {
      const { fix } = resolveModelLocation({ defaultModel: 'Xenova/gpt2', cacheDir: '/c', ...opts });
      const cli = inCliTerms(fix, detectFlags);
      expect(cli, fix).not.toMatch(/modelDir|"model"|without offline/);
      expect(inCliTerms(fix, new Set(['--config', '--port'])), 'serve').toBe(fix);
    }
    const { fix } = resolveModelLocation({ defaultModel: 'Xenova/gpt2', cacheDir: '/c', modelDir: '/m' });
    expect(inCliTerms(fix, detectFlags)).toMatch(
      /^--model-dir must hold the folder Xenova\/gpt2\/ .+ and point --model-dir at the cache \(\/c\)\.$/,
    );
  });

  it("a failed-lines refusal names --allow-partial, not failedLines: 'keep'", () => {
    const m = inCliTerms(new FailedLinesError('/x/scores.jsonl', 2, 5).message);
    expect(m).toMatch(/pass --allow-partial to keep those lines/);
    expect(m).not.toMatch(/failedLines/);
  });

  it('a message over the length limit says what a CLI user can do (no maxTextLength to raise)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'botlens-wording-'));
    try {
      const file = join(dir, 'long.json');
      await writeFile(
        file,
        JSON.stringify({ messages: [{ speaker: 'a', text: 'x'.repeat(10_001) }], target: 'a' }),
      );
      const r = await runCli(['detect', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/longer than 10000 characters: split the message into shorter ones/);
      expect(r.stderr).not.toMatch(/raise maxTextLength/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
