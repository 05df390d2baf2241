import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ModelDevice } from './model-options.js';

/** The library ONNX Runtime loads before any GPU execution provider on Linux. */
const PROVIDERS_SHARED = 'libonnxruntime_providers_shared.so';

/** Where to look for ONNX Runtime's binding, for {@link onnxBindingFolder}; every field has a default. */
export interface BindingLookup {
  /**
   * The file `@huggingface/transformers` is resolved from, as botlens imports it.
   * @defaultValue this module
   */
  from?: string;
  /**
   * The N-API version this Node.js provides: a binding built for a later one cannot load here.
   * @defaultValue `process.versions.napi`
   */
  napi?: number;
  /** @defaultValue `process.platform` */
  platform?: string;
  /** @defaultValue `process.arch` */
  arch?: string;
}

/** The folder holding the `package.json` named `name` at or above `file`, if any. */
function packageRoot(file: string, name: string): string | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === name) return dir;
    } catch {
      // an unreadable package.json on the way: keep looking up
    }
  }
  return undefined;
}

/**
 * The folder of the onnxruntime-node native binding that transformers.js would load here, or undefined when it
 * cannot be found (transformers.js or onnxruntime-node not installed, or a layout not known here). onnxruntime-node
 * is resolved from transformers.js's own files, as transformers.js requires it (so a copy nested under
 * transformers.js is the one found, not one beside botlens), and its binding is the one under `bin/napi-vN/` for
 * this platform and architecture with the highest N this Node.js supports.
 *
 * @param lookup - where to resolve from, and the N-API version, platform and architecture (defaults: this process)
 * @internal
 */
export function onnxBindingFolder(lookup: BindingLookup = {}): string | undefined {
  const napi = lookup.napi ?? Number(process.versions.napi);
  const platform = lookup.platform ?? process.platform;
  const arch = lookup.arch ?? process.arch;
  try {
    const here = lookup.from ?? (typeof __filename === 'string' ? __filename : import.meta.url);
    const transformers = createRequire(here).resolve('@huggingface/transformers');
    const main = createRequire(transformers).resolve('onnxruntime-node');
    const root = packageRoot(main, 'onnxruntime-node');
    if (root === undefined) return undefined;
    const bin = join(root, 'bin');
    const versions = readdirSync(bin)
      .map((name) => ({ name, n: Number(/^napi-v(\d+)$/.exec(name)?.[1] ?? Number.NaN) }))
      .filter((v) => v.n <= napi) // NaN (another name) fails too
      .sort((a, b) => b.n - a.n);
    for (const v of versions) {
      const folder = join(bin, v.name, platform, arch);
      if (existsSync(join(folder, 'onnxruntime_binding.node'))) return folder;
    }
    return undefined;
  } catch {
    return undefined; // not installed, or another layout: nothing to tell in advance
  }
}

let cached: { folder: string | undefined } | undefined;

/**
 * Why a GPU device cannot work here, found without asking ONNX Runtime (which prints a red
 * `Failed to load library ...providers_shared.so` line to stderr before it throws): on Linux, `cuda` and `gpu` need
 * the CUDA build of onnxruntime-node, whose binding folder ({@link onnxBindingFolder}) holds
 * `libonnxruntime_providers_shared.so`. Undefined when the device may work (or the layout is not the one known
 * here: ONNX Runtime is then asked as before).
 *
 * @param device - the requested device
 * @param lookup - where to look (defaults: this process, as a model load does; the default lookup is cached)
 * @internal
 */
export function missingCudaProvider(device: ModelDevice, lookup?: BindingLookup): string | undefined {
  if ((lookup?.platform ?? process.platform) !== 'linux' || (device !== 'cuda' && device !== 'gpu'))
    return undefined;
  let folder: string | undefined;
  if (lookup !== undefined) folder = onnxBindingFolder(lookup);
  else {
    cached ??= { folder: onnxBindingFolder() };
    folder = cached.folder;
  }
  if (folder === undefined || existsSync(join(folder, PROVIDERS_SHARED))) return undefined;
  return `the installed onnxruntime-node is the CPU build: no ${PROVIDERS_SHARED} in ${folder}`;
}
