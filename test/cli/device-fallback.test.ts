/**
 * `--device cuda` with the CPU build of onnxruntime-node falls back to the CPU with botlens's one warning, without
 * ONNX Runtime's red "Failed to load library ...providers_shared.so" line first: a real CLI run on a tiny model.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { missingCudaProvider } from '../../src/runtime/cuda-provider.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';

/** True when this machine's onnxruntime-node binding folder has no CUDA provider libraries (the CPU build). */
function cpuBuild(): boolean {
  const bin = join(ROOT, 'node_modules/onnxruntime-node/bin');
  if (process.platform !== 'linux' || !existsSync(bin)) return false;
  return readdirSync(bin).some((napi) => {
    const f = join(bin, napi, 'linux', process.arch);
    return (
      existsSync(join(f, 'onnxruntime_binding.node')) &&
      !existsSync(join(f, 'libonnxruntime_providers_shared.so'))
    );
  });
}

describeWithShared('--device cuda on the CPU build of ONNX Runtime', () => {
  it.skipIf(!cpuBuild())('warns once, in botlens words, and scores on the CPU', async () => {
    expect(missingCudaProvider('cuda')).toMatch(/CPU build: no libonnxruntime_providers_shared\.so/);
    expect(missingCudaProvider('cpu')).toBeUndefined();
    const r = await runCli([
      'detect',
      'examples/transcript.json',
      '--detectors',
      'heuristic,nli',
      '--model',
      `nli=${join(HF_TINY, 'tiny-bart-nli')}`,
      '--device',
      'cuda',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/\[E:onnxruntime|Failed to load library/);
    expect(r.stderr).toMatch(
      /device "cuda" is not available \(the installed onnxruntime-node is the CPU build/,
    );
    expect(
      (JSON.parse(r.stdout) as { members: { detector: string; error?: unknown }[] }).members.every(
        (m) => !m.error,
      ),
    ).toBe(true);
  });
});
