import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors/integrity-error.js';
import { writeFileAtomic } from './atomic-write.js';
import { assertInside } from './safe-paths.js';

/** The manifest `botlens pull` writes into a model folder: what each file's digest must be. */
export const PULL_MANIFEST = '.botlens-files.json';

/** One file of a {@link PullManifest}. */
export interface ManifestFile {
  /** Path inside the model folder, `/`-separated. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 from the hub (LFS files); files without one are checked by size only. */
  sha256?: string;
}

/** The content of {@link PULL_MANIFEST}. */
export interface PullManifest {
  /** Hub id. */
  id: string;
  /** Revision pulled. */
  revision: string;
  /** The files. */
  files: readonly ManifestFile[];
}

/**
 * SHA-256 of a file, streamed (constant memory), as lowercase hex.
 *
 * @param path - the file
 * @internal
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Writes (atomically) the manifest of a pulled model folder.
 *
 * @param folder - the model folder
 * @param manifest - what was pulled
 * @internal
 */
export async function writePullManifest(folder: string, manifest: PullManifest): Promise<void> {
  const files = manifest.files.map((f) => ({
    path: f.path,
    size: f.size,
    ...(f.sha256 !== undefined && { sha256: f.sha256 }),
  }));
  await writeFileAtomic(
    join(folder, PULL_MANIFEST),
    `${JSON.stringify({ id: manifest.id, revision: manifest.revision, files }, null, 2)}\n`,
  );
}

/**
 * Reads the manifest of a pulled model folder, or `undefined` when the folder has none (or an unreadable one).
 *
 * @param folder - the model folder
 * @internal
 */
export async function readPullManifest(
  folder: string,
): Promise<(Partial<PullManifest> & Pick<PullManifest, 'files'>) | undefined> {
  try {
    const m = JSON.parse(await readFile(join(folder, PULL_MANIFEST), 'utf8')) as Partial<PullManifest> | null;
    return m !== null && typeof m === 'object' && Array.isArray(m.files)
      ? { ...m, files: m.files }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Verified folders of this process: path -> signature of sizes and mtimes, so a folder is hashed once. */
const verified = new Map<string, string>();

/** The manifest's files with their stats, and a signature of their sizes and mtimes. */
async function folderState(folder: string, manifest: Pick<PullManifest, 'files'>) {
  const stats = await Promise.all(
    manifest.files.map(async (f) => {
      const path = assertInside(folder, join(folder, ...String(f.path).split('/')), 'model');
      return { f, path, s: await stat(path).catch(() => undefined) };
    }),
  );
  const signature = stats.map(({ f, s }) => `${f.path}:${s?.size}:${s?.mtimeMs}`).join('|');
  return { stats, signature };
}

/**
 * Records that every file of a pulled folder's manifest was hashed against its digest just now (a pull that
 * downloaded or re-checked each of them), so the next {@link verifyPulledFolder} in this process does not hash
 * the same bytes a second time while the files keep their sizes and mtimes. Only a pull that hashed every listed
 * file may call it: a file kept from an earlier pull was not hashed and must still be checked at load.
 *
 * @param folder - the model folder
 * @param manifest - the manifest just written into it (its files, as listed)
 * @internal
 */
export async function rememberVerifiedFolder(
  folder: string,
  manifest: Pick<PullManifest, 'files'>,
): Promise<void> {
  verified.set(folder, (await folderState(folder, manifest)).signature);
}

/**
 * Checks a model folder that `botlens pull` filled against its manifest: every listed file must exist with its
 * size, and with its SHA-256 where the hub gave one. A folder without a manifest (a folder the user made) is left
 * alone. Each folder is hashed once per process while its files stay unchanged (a pull in this process that
 * hashed every file counts: see {@link rememberVerifiedFolder}).
 *
 * @param folder - the model folder
 * @throws IntegrityError when a file is missing, has another size, or another digest
 * @internal
 */
export async function verifyPulledFolder(folder: string): Promise<void> {
  const manifest = await readPullManifest(folder);
  if (!manifest) return;
  const { stats, signature } = await folderState(folder, manifest);
  if (verified.get(folder) === signature) return;
  const fix = `Pull it again (\`botlens pull ${manifest.id} --force\`) or delete ${folder}.`;
  for (const { f, path, s } of stats) {
    if (!s?.isFile() || s.size !== f.size) {
      throw new IntegrityError(
        path,
        `${f.size} bytes`,
        s ? `${s.size} bytes` : 'missing',
        `The cached model file ${path} is ${s ? `${s.size} bytes, not the ${f.size} that were pulled` : 'missing'}. ${fix}`,
      );
    }
    if (f.sha256 !== undefined) {
      const actual = await sha256File(path);
      if (actual !== f.sha256) {
        throw new IntegrityError(
          path,
          f.sha256,
          actual,
          `The cached model file ${path} does not match the SHA-256 the hub listed (expected ${f.sha256}, got ${actual}): it changed after the pull. ${fix}`,
        );
      }
    }
  }
  verified.set(folder, signature);
}
