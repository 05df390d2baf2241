import { createHash } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import {
  MODEL_DTYPES,
  type ModelDtype,
  DTYPE_FILE_SUFFIXES as ONNX_DTYPE_SUFFIX,
} from '../core/model-dtypes.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { AbortedError } from '../errors/aborted-error.js';
import { HubError } from '../errors/hub-error.js';
import { IntegrityError } from '../errors/integrity-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { tempSiblingPath } from '../fs/atomic-write.js';
import {
  type ManifestFile,
  readPullManifest,
  rememberVerifiedFolder,
  sha256File,
  writePullManifest,
} from '../fs/file-digest.js';
import { assertInside } from '../fs/safe-paths.js';
import { assertHubModelId, cachedModelFolder } from './cache-dir.js';
import {
  HUB_ACCESS_OPTION_KEYS,
  type HubAccessOptions,
  type ResolvedHubAccess,
  resolveHubAccess,
} from './hub-options.js';
import { type HubModule, hubRepoParams, listHubFiles } from './hub-repo.js';
import type { LoadProgress } from './load-progress.js';
import { toHubError } from './to-hub-error.js';

/** Options for {@link pullModel}. */
export interface PullModelOptions extends HubAccessOptions {
  /**
   * ONNX weight variants to download (`fp32` = `onnx/*.onnx`, `q8` = `onnx/*_quantized.onnx`...).
   * @defaultValue ['fp32']
   */
  dtypes?: readonly ModelDtype[];
  /**
   * Which ONNX graphs to download, by name: `model` for `onnx/model*.onnx`, `text_model` and `vision_model` for
   * CLIP, `decoder_model_merged` for older causal-LM exports... Names the repo does not have are skipped (at
   * least one must exist for each dtype); when both `model` and `decoder_model_merged` exist, `model` is taken
   * (transformers.js loads it first). Model loading passes the graphs of its task, so it downloads only what it
   * runs.
   * @defaultValue every graph of the chosen dtypes
   */
  graphs?: readonly string[];
  /**
   * The cache root. The files land in `<cacheDir>/<id>/` (or `<cacheDir>/<id>/<revision>/` for a pinned revision),
   * where botlens and transformers.js look for them offline.
   * @defaultValue `$BOTLENS_CACHE_DIR`, else `~/.cache/botlens`
   */
  cacheDir?: string;
  /**
   * Download files again even when a file of the same size is already cached.
   * @defaultValue false
   */
  force?: boolean;
  /**
   * Called with download events: `initiate`, `download`, `progress` (with `loaded` and `total` bytes), `done` per
   * file, and `ready` once at the end, or `failed` once when the pull throws after its options were checked.
   * @defaultValue undefined
   */
  onProgress?: (p: LoadProgress) => void;
}

/** One file {@link pullModel} put in the cache. */
export interface PulledFile {
  /** Path inside the repo (and inside the model folder). */
  path: string;
  /** Size in bytes. */
  size: number;
  /** True when the file was already cached and was not downloaded again. */
  cached: boolean;
  /** The SHA-256 the hub gave for the file (LFS files), checked against the bytes; `undefined` when none. */
  sha256?: string;
}

/** What {@link pullModel} returns. */
export interface PullResult {
  /** The hub repo id. */
  id: string;
  /** The revision pulled. */
  revision: string;
  /** The model folder in the cache. */
  folder: string;
  /** The files, in download order. */
  files: PulledFile[];
  /** Bytes actually downloaded (cached files excluded). */
  downloadedBytes: number;
}

const SMALL_FILE = /^[^/]+\.(json|txt|model|tiktoken|jinja)$/;
const ONNX_FILE =
  /^onnx\/(.+?)(_fp16|_quantized|_q4f16|_q4|_int8|_uint8|_bnb4)?\.onnx(?:[._]data(?:_\d+)?)?$/;
/** A listed file with the SHA-256 the hub gave for it (LFS files: `lfs.oid`). */
interface ListedFile {
  /** Path inside the repo, e.g. `onnx/model_quantized.onnx`. */
  path: string;
  /** Size in bytes (the real size for LFS files), `undefined` when the listing gives none. */
  size: number | undefined;
  sha256?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

function selectFiles(
  id: string,
  files: readonly ListedFile[],
  dtypes: readonly ModelDtype[],
  graphs: readonly string[] | undefined,
): ListedFile[] {
  const chosen = files.filter((f) => SMALL_FILE.test(f.path) && !f.path.endsWith('.index.json'));
  const onnx = files.filter((f) => ONNX_FILE.test(f.path));
  if (onnx.length === 0) {
    throw new InvalidOptionsError(
      'id',
      `${id} has no ONNX weights in onnx/, so botlens cannot run it: pick an ONNX export (Xenova/..., onnx-community/...) or convert it with optimum (\`botlens check-model ${id}\` explains).`,
    );
  }
  for (const dtype of dtypes) {
    const suffix = ONNX_DTYPE_SUFFIX[dtype];
    const mine = onnx.filter((f) => (ONNX_FILE.exec(f.path)?.[2] ?? '') === suffix);
    if (mine.length === 0) {
      const available = MODEL_DTYPES.filter((d) =>
        onnx.some((f) => (ONNX_FILE.exec(f.path)?.[2] ?? '') === ONNX_DTYPE_SUFFIX[d]),
      );
      throw new InvalidOptionsError(
        'dtypes',
        `${id} has no ONNX files for dtype ${dtype}; available: ${available.length > 0 ? available.join(', ') : 'none of fp32, fp16, q8, q4'}`,
      );
    }
    const bases = new Set(mine.map((f) => ONNX_FILE.exec(f.path)?.[1]));
    // A merged decoder replaces the separate with/without-past graphs older exports also ship.
    const redundant = bases.has('decoder_model_merged')
      ? new Set(['decoder_model', 'decoder_with_past_model'])
      : new Set<string>();
    let wanted = mine.filter((f) => !redundant.has(ONNX_FILE.exec(f.path)?.[1] ?? ''));
    if (graphs) {
      const named = new Set(graphs);
      if (named.has('model') && bases.has('model')) named.delete('decoder_model_merged');
      wanted = wanted.filter((f) => named.has(ONNX_FILE.exec(f.path)?.[1] ?? ''));
      if (wanted.length === 0) {
        throw new InvalidOptionsError(
          'graphs',
          `${id} has no ONNX graph named ${graphs.join(' or ')} for dtype ${dtype}; it has ${[...bases].join(', ')}`,
        );
      }
    }
    chosen.push(...wanted);
  }
  return chosen;
}

async function listRepoFiles(lib: HubModule, id: string, hub: ResolvedHubAccess): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  try {
    for await (const entry of listHubFiles(lib, id, hub)) {
      const oid = entry.lfs?.oid?.toLowerCase();
      out.push({
        path: entry.path,
        size: entry.lfs?.size ?? entry.size,
        ...(oid !== undefined && SHA256.test(oid) && { sha256: oid }),
      });
    }
  } catch (err) {
    throw toHubError(err, { model: id, what: 'listing the files', hubSetting: hub.hubSetting });
  }
  return out;
}

async function downloadOne(
  lib: HubModule,
  id: string,
  file: ListedFile,
  target: string,
  hub: ResolvedHubAccess,
  onProgress: ((p: LoadProgress) => void) | undefined,
): Promise<number> {
  const what = `downloading ${file.path}`;
  let blob: Blob | null;
  try {
    blob = await lib.downloadFile({ ...hubRepoParams(id, hub), path: file.path });
  } catch (err) {
    throw toHubError(err, { model: id, what, hubSetting: hub.hubSetting });
  }
  if (!blob) {
    throw new HubError(
      'not-found',
      `${id} has no file ${file.path} (it was listed a moment ago): run the pull again.`,
      {
        model: id,
      },
    );
  }
  const total = blob.size;
  onProgress?.({ status: 'download', file: file.path, model: id });
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempSiblingPath(target);
  const fh = await open(tmp, 'wx');
  const hash = createHash('sha256');
  let loaded = 0;
  let ok = false;
  try {
    const reader = blob.stream().getReader();
    for (;;) {
      let chunk: { done: boolean; value?: Uint8Array };
      try {
        chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      } catch (err) {
        AbortedError.throwIfAborted(hub.signal, `Downloading ${id}`);
        throw toHubError(typeof err === 'string' ? new Error(err) : err, {
          model: id,
          what,
          hubSetting: hub.hubSetting,
        });
      }
      if (chunk.done || chunk.value === undefined) break;
      await fh.write(chunk.value);
      hash.update(chunk.value);
      loaded += chunk.value.byteLength;
      onProgress?.({
        status: 'progress',
        file: file.path,
        loaded,
        total,
        progress: total > 0 ? (100 * loaded) / total : 100,
        model: id,
      });
    }
    AbortedError.throwIfAborted(hub.signal, `Downloading ${id}`);
    if (loaded !== total) {
      throw new HubError(
        'malformed',
        `The download of ${file.path} from ${id} stopped at ${loaded} of ${total} bytes: run the pull again.`,
        { model: id },
      );
    }
    const digest = hash.digest('hex');
    if (file.sha256 !== undefined && digest !== file.sha256) {
      throw new IntegrityError(
        `${file.path}`,
        file.sha256,
        digest,
        `The download of ${file.path} from ${id} does not match the SHA-256 the hub lists (expected ${file.sha256}, got ${digest}): the file was corrupted or tampered with in transit. Nothing was written; run the pull again, and report it if it repeats.`,
      );
    }
    await fh.sync();
    ok = true;
  } finally {
    await fh.close();
    if (!ok) await unlink(tmp).catch(() => undefined);
  }
  await rename(tmp, target);
  return loaded;
}

const PULL_MODEL_OPTION_KEYS: OptionKeys<PullModelOptions> = {
  ...HUB_ACCESS_OPTION_KEYS,
  dtypes: true,
  graphs: true,
  cacheDir: true,
  force: true,
  onProgress: true,
};

/**
 * Downloads a model's files from the Hugging Face Hub into the botlens cache, for later offline use: the
 * tokenizer and config files at the repo root and the ONNX graphs (with their external data) of the chosen
 * dtypes. Files already cached with the right size (and SHA-256, when the hub lists one) are kept. Each file is
 * written to a temporary name and renamed when complete, so an interrupted pull leaves no truncated file behind.
 * When the hub lists a file's SHA-256 (LFS files), the downloaded bytes must match it; the folder gets a
 * `.botlens-files.json` manifest of the digests, which model loading checks before it trusts the folder. The id
 * and revision are validated and every path is resolved (symlinks included) inside the cache folder.
 *
 * @param id - hub repo id, e.g. `Xenova/e5-small-v2`
 * @param options - dtypes, cache folder, progress callback and the hub connection
 * @throws InvalidOptionsError for a bad id or option, a repo without ONNX weights or without the dtype asked for
 * @throws InvalidOptionsError for an id or revision that is not a hub id / branch, tag or sha, or a path that resolves
 * outside the cache
 * @throws HubError when the hub refuses or fails (not found, gated, rate limited, down, malformed)
 * @throws IntegrityError when a download does not match the SHA-256 the hub lists
 * @throws AbortedError when `signal` aborts
 * @example
 * ```ts
 * import { pullModel } from 'botlens/select';
 * const r = await pullModel('Xenova/e5-small-v2', { dtypes: ['q8'], onProgress: (p) => console.log(p.status, p.file) });
 * r.folder; // '/home/me/.cache/botlens/Xenova/e5-small-v2'
 * ```
 */
export async function pullModel(id: string, options: PullModelOptions = {}): Promise<PullResult> {
  refuseUnknownKeys(options, PULL_MODEL_OPTION_KEYS, 'the options of pullModel()');
  if (typeof id !== 'string' || !id.includes('/')) {
    throw new InvalidOptionsError('id', `expected a hub model id "owner/name", got ${describeValue(id)}`);
  }
  assertHubModelId(id, 'id');
  const dtypes = options.dtypes ?? ['fp32'];
  if (!Array.isArray(dtypes) || dtypes.length === 0 || dtypes.some((d) => !MODEL_DTYPES.includes(d))) {
    throw new InvalidOptionsError(
      'dtypes',
      `expected a non-empty list of ${MODEL_DTYPES.join(', ')}, got ${describeValue(dtypes)}`,
    );
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidOptionsError('onProgress', 'expected a function (p: LoadProgress) => void');
  }
  try {
    return await pullFiles(id, dtypes, options);
  } catch (err) {
    // A progress bar stops here rather than being left running under the error (the contract of LoadProgress).
    try {
      options.onProgress?.({ status: 'failed', model: id });
    } catch {
      // ignore a throwing progress callback: the pull's own error is the one to report
    }
    throw err;
  }
}

/** {@link pullModel} once `id`, `dtypes` and `onProgress` are checked. */
async function pullFiles(
  id: string,
  dtypes: readonly ModelDtype[],
  options: PullModelOptions,
): Promise<PullResult> {
  const hub = resolveHubAccess(options);
  const revision = hub.revision ?? 'main';
  const folder = cachedModelFolder(id, { cacheDir: options.cacheDir, revision });
  AbortedError.throwIfAborted(hub.signal, `Downloading ${id}`);
  const lib: HubModule = await import('@huggingface/hub');

  const graphs = options.graphs;
  if (
    graphs !== undefined &&
    (!Array.isArray(graphs) || graphs.length === 0 || graphs.some((g) => typeof g !== 'string' || g === ''))
  ) {
    throw new InvalidOptionsError(
      'graphs',
      `expected a non-empty list of graph names, got ${describeValue(graphs)}`,
    );
  }
  const files = selectFiles(id, await listRepoFiles(lib, id, hub), [...new Set(dtypes)], graphs);
  const pulled: PulledFile[] = [];
  let downloadedBytes = 0;
  await mkdir(folder, { recursive: true });
  for (const file of files) {
    AbortedError.throwIfAborted(hub.signal, `Downloading ${id}`);
    const target = join(folder, ...file.path.split('/'));
    const parts = file.path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
      throw new HubError(
        'malformed',
        `${id} lists a file outside the repo (${JSON.stringify(file.path)}); refusing it.`,
        { model: id },
      );
    }
    // Resolves symlinks too: a link planted in the cache cannot send a download elsewhere.
    assertInside(folder, target, 'id');
    options.onProgress?.({ status: 'initiate', file: file.path, model: id });
    const existing = options.force ? undefined : await stat(target).catch(() => undefined);
    const sha = file.sha256 !== undefined ? { sha256: file.sha256 } : {};
    if (
      existing?.isFile() &&
      file.size !== undefined &&
      existing.size === file.size &&
      (file.sha256 === undefined || (await sha256File(target)) === file.sha256)
    ) {
      pulled.push({ path: file.path, size: existing.size, cached: true, ...sha });
    } else {
      const size = await downloadOne(lib, id, file, target, hub, options.onProgress);
      downloadedBytes += size;
      pulled.push({ path: file.path, size, cached: false, ...sha });
    }
    options.onProgress?.({ status: 'done', file: file.path, model: id });
  }
  // Files pulled earlier into the same folder (another dtype or graph) stay listed, so they stay checked.
  const earlier = await readPullManifest(folder);
  const kept: ManifestFile[] = [];
  if (earlier?.id === id && earlier.revision === revision) {
    for (const f of earlier.files) {
      if (pulled.some((p) => p.path === f.path)) continue;
      const s = await stat(join(folder, ...String(f.path).split('/'))).catch(() => undefined);
      if (s?.isFile()) kept.push(f);
    }
  }
  const manifest = { id, revision, files: [...kept, ...pulled] };
  await writePullManifest(folder, manifest);
  // Every listed file was hashed by this pull (downloaded or re-checked): loading it next need not hash it again.
  if (kept.length === 0) await rememberVerifiedFolder(folder, manifest);
  options.onProgress?.({ status: 'ready', model: id });
  return { id, revision, folder, files: pulled, downloadedBytes };
}
