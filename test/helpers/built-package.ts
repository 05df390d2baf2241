import { readdirSync, statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ROOT, runProcess } from './run-cli.js';

/** tsconfig for tsx with no `paths`, so `botlens` resolves through package.json exports to dist/. */
export const BUILT_TSCONFIG = resolve(ROOT, 'test/examples.tsconfig.json');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const built = statSync(join(ROOT, 'dist/index.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs);
  return built >= sources;
}

async function tsup(): Promise<void> {
  const r = await runProcess(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js')], {
    timeoutMs: 540_000,
  });
  if (r.code !== 0) throw new Error(`tsup failed (${r.code ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

/**
 * Makes sure dist/ holds a build of the current src/ (builds once with tsup when dist/ is missing or older than
 * any source file), so examples and guide snippets run against the package a user installs. Test files that call
 * it at the same time share one build (a lock file beside dist/).
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(ROOT, '.botlens-build.lock');
  for (let waited = 0; !isFresh(); waited += 500) {
    const fh = await open(lock, 'wx').catch(() => undefined);
    if (fh) {
      try {
        if (!isFresh()) await tsup();
      } finally {
        await fh.close();
        await rm(lock, { force: true });
      }
      return;
    }
    if (waited > 600_000) throw new Error(`${lock} has been held for 10 minutes: delete it if no build runs`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
