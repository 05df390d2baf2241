/**
 * The public entry points as built by tsup, and the names each exports (read with the TypeScript checker from
 * the emitted `.d.ts`). Shared by `count-exports.ts` and `api-report.ts`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Package entry point → the d.ts tsup writes for it (matches `exports` in package.json). */
export const ENTRY_POINTS = {
  botlens: 'index.d.ts',
  'botlens/detectors': 'detectors/index.d.ts',
  'botlens/peft': 'peft/index.d.ts',
  'botlens/quant': 'quant/index.d.ts',
  'botlens/select': 'select/index.d.ts',
  'botlens/server': 'server/index.d.ts',
  'botlens/testing': 'testing/index.d.ts',
  'botlens/corpus': 'corpus/index.d.ts',
} as const;

/** An entry point's exported names, and how many `export *` its d.ts holds. */
export interface EntryExports {
  entry: keyof typeof ENTRY_POINTS;
  file: string;
  names: string[];
  exportStars: number;
}

/** Reads the exported names of every entry point under `distDir`; exits when the build is missing. */
export function readEntryExports(distDir: string): EntryExports[] {
  const entries = Object.entries(ENTRY_POINTS) as [keyof typeof ENTRY_POINTS, string][];
  const files = entries.map(([, f]) => join(distDir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    console.error(`Missing ${missing.join(', ')}: run \`npm run build\` first.`);
    process.exit(1);
  }
  const program = ts.createProgram(files, { skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  return entries.map(([entry], i) => {
    const file = files[i] as string;
    const source = program.getSourceFile(file);
    const symbol = source ? checker.getSymbolAtLocation(source) : undefined;
    if (!source || !symbol) throw new Error(`Cannot read the exports of ${file}`);
    const names = [...new Set(checker.getExportsOfModule(symbol).map((s) => s.getName()))].sort();
    const exportStars = source.statements.filter((s) => ts.isExportDeclaration(s) && !s.exportClause).length;
    return { entry, file, names, exportStars };
  });
}
