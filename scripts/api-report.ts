/**
 * The public API report: runs API Extractor on each built entry point (`npm run build` first) and writes or checks
 * `etc/<entry>.api.md`.
 *
 * - `npm run api:update` rewrites the reports (commit them with the change that moved the surface).
 * - `npm run api:check` fails when the built surface differs from the committed reports, or when a public
 *   signature names a type that no entry point exports (`ae-forgotten-export`) — CI runs it after the build.
 *
 * One API Extractor run per entry point, because each subpath export (`botlens/detectors`, ...) is its own
 * public module; the entry list matches `exports` in package.json.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig, type ExtractorMessage } from '@microsoft/api-extractor';

/** Entry point name → the d.ts tsup writes for it. */
export const API_ENTRY_POINTS = {
  botlens: 'dist/index.d.ts',
  'botlens-detectors': 'dist/detectors/index.d.ts',
  'botlens-peft': 'dist/peft/index.d.ts',
  'botlens-quant': 'dist/quant/index.d.ts',
  'botlens-select': 'dist/select/index.d.ts',
  'botlens-server': 'dist/server/index.d.ts',
  'botlens-testing': 'dist/testing/index.d.ts',
} as const;

const root = resolve(import.meta.dirname, '..');
const update = process.argv.includes('--update');
let failed = 0;

for (const [name, dts] of Object.entries(API_ENTRY_POINTS)) {
  const entry = join(root, dts);
  if (!existsSync(entry)) {
    console.error(`${dts} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: entry,
      compiler: {
        tsconfigFilePath: join(root, 'tsconfig.json'),
        overrideTsconfig: { compilerOptions: { skipLibCheck: true, types: ['node'] }, files: [entry] },
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
          // TSDoc is checked by typedoc (validation.notDocumented); its own dialect differs in places.
          'ae-unresolved-link': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(root, 'scripts', 'api-report.json'),
    packageJsonFullPath: join(root, 'package.json'),
  });
  const warnings: string[] = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback: (message: ExtractorMessage) => {
      if (message.logLevel === 'warning' || message.logLevel === 'error') {
        warnings.push(
          `${message.messageId}: ${message.text}${message.sourceFilePath ? ` (${message.sourceFilePath})` : ''}`,
        );
      }
      message.handled = true;
    },
  });
  const changed = result.apiReportChanged && !update;
  if (warnings.length > 0 || changed || !result.succeeded) failed++;
  console.log(
    `${name}: ${changed ? 'DIFFERS from etc/' + name + '.api.md' : update && result.apiReportChanged ? 'updated' : 'ok'}${warnings.length ? `, ${warnings.length} warning(s)` : ''}`,
  );
  for (const w of warnings) console.log(`  ${w}`);
}
if (failed > 0) {
  console.error(
    update
      ? 'The API report has warnings: export the named types from an entry point, or make them internal.'
      : 'The public API differs from etc/*.api.md (or has warnings): run `npm run build && npm run api:update` and commit etc/.',
  );
  process.exit(1);
}
