import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './run-cli.js';

/**
 * Node arguments that make `packageName` (and its subpaths) impossible to import, as in an install without that
 * optional package: an ES module resolve hook answers with the error Node gives (`ERR_MODULE_NOT_FOUND`,
 * "Cannot find package ..."). Put them before the script or `--import tsx`.
 *
 * @param packageName - the npm package to hide, e.g. `protobufjs`
 */
export function hidePackageArgs(packageName: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'botlens-without-'));
  const hooks = join(dir, 'hooks.mjs');
  const name = JSON.stringify(packageName);
  writeFileSync(
    hooks,
    `export async function resolve(spec, ctx, next) {
  if (spec === ${name} || spec.startsWith(${name} + '/')) {
    const e = new Error("Cannot find package '" + spec + "' imported from " + ctx.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(spec, ctx);
}`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return ['--import', register];
}

/**
 * Runs `code` (an ES module body in TypeScript through tsx, top-level `await` allowed, paths such as
 * `./src/index.ts` relative to the project root) in a Node process where `packageName` cannot be found, and
 * returns its standard output.
 *
 * @param packageName - the npm package to hide
 * @param code - the module body
 */
export function runWithoutPackage(packageName: string, code: string): string {
  return execFileSync(
    process.execPath,
    [...hidePackageArgs(packageName), '--import', 'tsx', '--input-type=module', '-e', code],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
}
