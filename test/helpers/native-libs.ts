import { execFileSync } from 'node:child_process';
import { ROOT } from './run-cli.js';

/**
 * Runs `code` in a fresh Node process (TypeScript through tsx, in the project root) and returns the native
 * libraries it loaded. transformers.js imports onnxruntime-node and sharp at its top level, so their native
 * bindings appearing in the process report means one of the heavy runtimes was imported.
 *
 * @param code - an ES module body (top-level `await` allowed); paths such as `./src/index.ts` are relative to the root
 */
export function nativeLibsAfter(code: string): string[] {
  const script = `${code}
const libs = process.report.getReport().sharedObjects.filter((p) => /onnxruntime|sharp|hnswlib|addon\\.node/.test(p));
console.log(JSON.stringify(libs));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}
