import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** A temporary folder for the tests of one `describe` block; see {@link useWorkDir}. */
export interface WorkDir {
  /** The folder (read it inside tests or hooks, once it is made). */
  readonly dir: string;
  /** A path inside the folder. */
  path(...parts: string[]): string;
}

/**
 * Makes a temporary folder before the block's tests, points `BOTLENS_CACHE_DIR` at its `cache` subfolder so no
 * model download or cache write leaves it, and removes it (restoring the variable) after.
 *
 * @param prefix - the folder name's prefix, e.g. `botlens-train-`
 */
export function useWorkDir(prefix: string): WorkDir {
  const saved = process.env['BOTLENS_CACHE_DIR'];
  let made: string | undefined;
  beforeAll(async () => {
    made = await mkdtemp(join(tmpdir(), prefix));
    process.env['BOTLENS_CACHE_DIR'] = join(made, 'cache');
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env['BOTLENS_CACHE_DIR'];
    else process.env['BOTLENS_CACHE_DIR'] = saved;
    if (made) await rm(made, { recursive: true, force: true });
  });
  const work: WorkDir = {
    get dir() {
      if (made === undefined)
        throw new Error('the work folder is read before it was made: use it inside a test or hook');
      return made;
    },
    path: (...parts) => join(work.dir, ...parts),
  };
  return work;
}
