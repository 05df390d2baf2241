/**
 * What `npm pack` puts in the package, read from `npm pack --dry-run --json` (no build, no network): the
 * README's and the shipped docs' relative links must point at files the package holds, so that a user reading
 * them in node_modules/botlens finds what they name (before docs/ shipped, every docs link there was dead).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** The paths `npm pack` would put in the tarball, relative to the package root. */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'silent' },
    timeout: 60_000,
  });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  return new Set(pack.files.map((f) => f.path));
}

/** Relative link targets in a markdown text (no scheme, not a page anchor), without their `#fragment`. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(target.split('#')[0]!);
  }
  return links;
}

describe('the npm package', () => {
  const files = packedFiles();

  it('ships the user docs and examples the README points to, and no source, tests or data', () => {
    for (const f of ['README.md', 'docs/guide.md', 'docs/security.md', 'examples/transcript.json']) {
      expect(files.has(f), f).toBe(true);
    }
    const stray = [...files].filter(
      (f) => /^(src|test|bench|scripts|\.ci)\//.test(f) || f.endsWith('.jsonl'),
    );
    expect(stray).toEqual([]);
  });

  it('holds every file that a relative link in its markdown names', () => {
    const dead: string[] = [];
    for (const doc of [...files].filter((f) => f.endsWith('.md'))) {
      for (const link of relativeLinks(readFileSync(join(ROOT, doc), 'utf8'))) {
        const target = normalize(join(dirname(doc), link)).replace(/\/$/, '');
        const shipped = files.has(target) || [...files].some((f) => f.startsWith(`${target}/`));
        if (!shipped) dead.push(`${doc} -> ${link}`);
      }
    }
    expect(dead).toEqual([]);
  });
});
