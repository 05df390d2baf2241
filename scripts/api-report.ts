/**
 * The public API report: runs API Extractor on each built entry point (`npm run build` first) and writes or
 * checks `etc/<entry>.api.md`.
 *
 * - `npm run api:update` rewrites the reports (commit them with the change that moved the surface).
 * - `npm run api:check` fails when the built surface differs from the committed reports, when a public
 *   signature names a type that no entry point exports (`ae-forgotten-export`), or when a public name lacks
 *   TSDoc (`ae-undocumented`). CI runs it after the build.
 *
 * One API Extractor run per entry point, because each subpath export (`botlens/detectors`, ...) is its own
 * public module; the entry list is `ENTRY_POINTS` in public-names.ts and matches `exports` in package.json.
 */
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig, type ExtractorMessage } from '@microsoft/api-extractor';
import { readEntryExports } from './public-names.js';

const root = resolve(import.meta.dirname, '..');
const update = process.argv.includes('--update');
const entries = readEntryExports(join(root, 'dist'));
// A type that one entry point's signatures name may be exported by another (`Detector` from `botlens` is named
// by `botlens/server`). API Extractor checks one entry point at a time, so such a name is public, not forgotten.
const publicNames = new Set(entries.flatMap((e) => e.names));
let failed = 0;

for (const { entry, file } of entries) {
  const name = entry.replace('/', '-');
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: file,
      compiler: {
        tsconfigFilePath: join(root, 'tsconfig.json'),
        overrideTsconfig: { compilerOptions: { skipLibCheck: true, types: ['node'] }, files: [file] },
      },
      apiReport: {
        enabled: true,
        reportFileName: `${name}.api.md`,
        reportFolder: join(root, 'etc'),
        reportTempFolder: join(root, 'temp', 'api'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // Release tags (@public/@beta) are not used: everything an entry point exports is public.
          'ae-missing-release-tag': { logLevel: 'none' },
          // Links are checked by typedoc (validation.invalidLink), which resolves across entry points.
          'ae-unresolved-link': { logLevel: 'none' },
          // Checked below against every entry point's names; kept out of the report file.
          'ae-forgotten-export': { logLevel: 'warning', addToApiReportFile: false },
        },
        // TSDoc syntax is typedoc's business (it builds with treatWarningsAsErrors).
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(root, 'scripts', 'api-extractor.json'),
    packageJsonFullPath: join(root, 'package.json'),
  });
  const warnings: string[] = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback: (message: ExtractorMessage) => {
      message.handled = true;
      if (message.logLevel !== 'warning' && message.logLevel !== 'error') return;
      if (message.messageId.startsWith('console-api-report-')) return; // said below
      const symbol = /The symbol "([^"]+)"/.exec(message.text)?.[1];
      if (message.messageId === 'ae-forgotten-export' && symbol !== undefined && publicNames.has(symbol))
        return;
      const where = message.sourceFilePath ? ` (${message.sourceFilePath})` : '';
      warnings.push(`${message.messageId}: ${message.text}${where}`);
    },
  });
  const differs = result.apiReportChanged && !update;
  if (warnings.length > 0 || differs || result.errorCount > 0) failed++;
  const state = differs ? `DIFFERS from etc/${name}.api.md` : result.apiReportChanged ? 'updated' : 'ok';
  console.log(`${entry}: ${state}${warnings.length > 0 ? `, ${warnings.length} warning(s)` : ''}`);
  for (const w of warnings) console.log(`  ${w}`);
}
if (failed > 0) {
  console.error(
    update
      ? 'The API report has warnings: export each named type from an entry point, or keep it out of public signatures.'
      : 'The public API differs from etc/*.api.md or has warnings: run `npm run build && npm run api:update`, review and commit etc/.',
  );
  process.exit(1);
}
