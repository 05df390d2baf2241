/**
 * Counts the exported names of the package's public entry points, as built (`npm run build` first): per entry
 * point and in total (a name exported from two entry points counts once in the total).
 *
 * Usage: `npx tsx scripts/count-exports.ts [distDir] [--list]` (distDir defaults to `dist`).
 */
import { resolve } from 'node:path';
import { readEntryExports } from './public-names.js';

const args = process.argv.slice(2);
const list = args.includes('--list');
const distDir = resolve(args.find((a) => !a.startsWith('--')) ?? 'dist');

const all = new Set<string>();
let exportStars = 0;
for (const { entry, names, exportStars: stars } of readEntryExports(distDir)) {
  for (const n of names) all.add(n);
  exportStars += stars;
  console.log(`${entry.padEnd(18)} ${String(names.length).padStart(4)}`);
  if (list) console.log(`  ${names.join(', ')}`);
}
console.log(`${'total (distinct)'.padEnd(18)} ${String(all.size).padStart(4)}`);
console.log(`export * in the built entry points: ${exportStars}`);
