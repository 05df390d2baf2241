/**
 * Counts the exported names of the package's public entry points, as built (`npm run build` first).
 *
 * Reads each entry point's `.d.ts` under `dist/` with the TypeScript checker and prints, per entry point and in
 * total, how many distinct names it exports (a name exported from two entry points counts once in the total).
 *
 * Usage: `npx tsx scripts/count-exports.ts [distDir] [--list]`
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const ENTRY_POINTS = ['index', 'detectors', 'peft', 'quant', 'select', 'server', 'testing'] as const;

const args = process.argv.slice(2);
const list = args.includes('--list');
const distDir = resolve(args.find((a) => !a.startsWith('--')) ?? 'dist');

const files = ENTRY_POINTS.map((e) => join(distDir, e === 'index' ? 'index.d.ts' : `${e}/index.d.ts`));
const missing = files.filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`Missing ${missing.join(', ')}: run \`npm run build\` first.`);
  process.exit(1);
}
const program = ts.createProgram(files, { skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();
const all = new Set<string>();
let exportStar = 0;
for (const [i, entry] of ENTRY_POINTS.entries()) {
  const file = files[i];
  const source = program.getSourceFile(file);
  const symbol = source ? checker.getSymbolAtLocation(source) : undefined;
  if (!source || !symbol) throw new Error(`Cannot read the exports of ${file}`);
  const names = checker.getExportsOfModule(symbol).map((s) => s.getName());
  for (const n of names) all.add(n);
  exportStar += source.statements.filter((s) => ts.isExportDeclaration(s) && !s.exportClause).length;
  const label = entry === 'index' ? 'botlens' : `botlens/${entry}`;
  console.log(`${label.padEnd(18)} ${String(new Set(names).size).padStart(4)}`);
  if (list) console.log(`  ${[...new Set(names)].sort().join(', ')}`);
}
console.log(`${'total (distinct)'.padEnd(18)} ${String(all.size).padStart(4)}`);
if (exportStar > 0) console.log(`export * in built entry points: ${exportStar}`);
