import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

/**
 * Absolute path of ../shared beside the project root (may not exist). `BOTLENS_SHARED_DIR` overrides it; CI
 * points it at a missing folder for a second run, to prove the suite passes without the shared material.
 */
export const SHARED_DIR = process.env['BOTLENS_SHARED_DIR']
  ? resolve(process.env['BOTLENS_SHARED_DIR'])
  : resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared');
/** True when ../shared is present. */
export const HAS_SHARED = existsSync(SHARED_DIR);
/** The tiny Hugging Face fixture models. */
export const HF_TINY = resolve(SHARED_DIR, 'fixtures/hf-tiny');
/** The MiniLM-L6-sized bench model. */
export const BENCH_MODEL = resolve(SHARED_DIR, 'fixtures/bench/bench-minilm-l6');
/** The ConvAI speaker-level data. */
export const CONVAI_DIR = resolve(SHARED_DIR, 'data/convai-bots');

/** Message printed by suites skipped because ../shared is missing. */
export const SHARED_SKIP_REASON = `skipped: ${SHARED_DIR} not found (these tests need the shared fixtures)`;

if (!HAS_SHARED) {
  // Print once per test file that imports this, so a skipped suite is never silent.
  console.warn(`[botlens tests] ${SHARED_SKIP_REASON}`);
}

/**
 * A `describe` block that needs ../shared: skipped, with {@link SHARED_SKIP_REASON} in its title, when the shared
 * material is missing.
 *
 * @param title - the block's title
 * @param body - the block
 */
export function describeWithShared(title: string, body: () => void): void {
  describe.skipIf(!HAS_SHARED)(HAS_SHARED ? title : `${title} (${SHARED_SKIP_REASON})`, body);
}

/**
 * The PyTorch goldens of one hf-tiny fixture model (`goldens.json`), or an empty object when ../shared is missing
 * (the suites that read it are skipped then).
 *
 * @param model - the fixture's folder name, e.g. `tiny-clip`
 */
export function readGolden<T>(model: string): T {
  if (!HAS_SHARED) return {} as T;
  const all = JSON.parse(readFileSync(resolve(HF_TINY, 'goldens.json'), 'utf8')) as Record<string, T>;
  const g = all[model];
  if (g === undefined) throw new Error(`goldens.json has no entry for ${model}`);
  return g;
}
