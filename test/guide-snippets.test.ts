/**
 * The TypeScript snippets of docs/guide.md and README.md against the BUILT package: every import names a real subpath of package.json
 * "exports" and a name that entry really exports (so a snippet never shows `../src/...` or an internal name), and
 * the snippets marked `<!-- test: run -->` run as they are, in a folder outside the repo where `botlens` is an
 * installed package (node_modules/botlens -> this repo, resolved through its exports to dist/).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_TSCONFIG, ensureBuilt } from './helpers/built-package.js';
import { ROOT, runProcess } from './helpers/run-cli.js';

interface Snippet {
  doc: string;
  line: number;
  code: string;
  run: boolean;
}

const DOCS = ['docs/guide.md', 'README.md'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import?: { types: string; default: string } }>;
  dependencies: Record<string, string>;
};

function snippets(doc: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    out.push({
      doc,
      line: start + 1,
      code: body.join('\n'),
      run: lines[start - 1]?.trim() === '<!-- test: run -->',
    });
  }
  return out;
}

interface ImportSpec {
  from: string;
  names: { name: string; type: boolean }[];
}

function importsOf(code: string): ImportSpec[] {
  const out: ImportSpec[] = [];
  for (const m of code.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)';/gm)) {
    const all = m[1] !== undefined;
    const names = m[2]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => ({
        name: s.replace(/^type\s+/, '').split(/\s+as\s+/)[0]!,
        type: all || /^type\s/.test(s),
      }));
    out.push({ from: m[3]!, names });
  }
  return out;
}

const all = DOCS.flatMap(snippets);
let sandbox: string;

beforeAll(async () => {
  await ensureBuilt();
  sandbox = mkdtempSync(join(tmpdir(), 'botlens-guide-'));
  mkdirSync(join(sandbox, 'node_modules'));
  symlinkSync(ROOT, join(sandbox, 'node_modules', 'botlens'), 'dir');
  writeFileSync(join(sandbox, 'package.json'), '{ "type": "module", "private": true }\n');
}, 600_000);
afterAll(() => {
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

describe('TypeScript snippets of the guide and the README', () => {
  it('has snippets, some marked to run', () => {
    expect(all.length).toBeGreaterThan(8);
    expect(all.filter((s) => s.run).length).toBeGreaterThanOrEqual(4);
  });

  it('import only from botlens and its documented subpaths (or node:, vitest, botlens dependencies such as zod), names that exist there', async () => {
    const problems: string[] = [];
    for (const s of all) {
      for (const imp of importsOf(s.code)) {
        // zod is a dependency of botlens (detector descriptors take zod schemas), so every user has it.
        if (imp.from.startsWith('node:') || imp.from === 'vitest' || imp.from in pkg.dependencies) continue;
        const sub = imp.from === 'botlens' ? '.' : imp.from.replace(/^botlens\//, './');
        const entry = imp.from.startsWith('botlens') ? pkg.exports[sub] : undefined;
        if (!entry || typeof entry === 'string' || !entry.import) {
          problems.push(`${s.doc}:${s.line}: '${imp.from}' is not a subpath of package.json exports`);
          continue;
        }
        const mod = (await import(pathToFileURL(join(ROOT, entry.import.default)).href)) as Record<
          string,
          unknown
        >;
        const dts = readFileSync(join(ROOT, entry.import.types), 'utf8');
        for (const n of imp.names) {
          const ok = n.type ? new RegExp(`\\b${n.name}\\b`).test(dts) : n.name in mod;
          if (!ok)
            problems.push(
              `${s.doc}:${s.line}: '${imp.from}' does not export ${n.type ? 'type ' : ''}${n.name}`,
            );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  for (const s of all.filter((x) => x.run)) {
    it(`runs the snippet at ${s.doc}:${s.line} against the installed package`, async () => {
      const file = join(sandbox, `snippet-${s.doc.replace(/\W/g, '-')}-${s.line}.mts`);
      writeFileSync(file, `${s.code}\nexport {};\n`);
      const tsx = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
      const r = await runProcess(process.execPath, ['--import', tsx, file], {
        cwd: sandbox,
        env: { ...process.env, BOTLENS_OFFLINE: '1', TSX_TSCONFIG_PATH: BUILT_TSCONFIG },
        timeoutMs: 60_000,
      });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    }, 90_000);
  }
});
