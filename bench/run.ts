/**
 * Runs the benchmark scripts in bench/ one after another, each in its own child process, and writes their
 * output to docs/benchmarks.md (`npm run bench`).
 *
 *   npm run bench                          # every script
 *   npm run bench -- heuristic serve-load  # only these (their sections are replaced, the others kept)
 *   npx tsx bench/run.ts --out /tmp/b.md   # write elsewhere
 *   npx tsx bench/run.ts --list            # list the scripts in run order
 *
 * Every script prints its own figures, measured side by side in one run; the runner copies stdout verbatim
 * into a fenced block with the command that reproduces it. A script that needs ../shared (a `// needs: shared`
 * comment, or without a marker any reference to ../../shared) is listed as skipped when ../shared is absent,
 * as is a script whose output starts with `skipped:`. A script that fails is reported with the tail of its
 * stderr, the others still run, and the runner exits 1 at the end.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const sharedDir = resolve(root, '../shared');
const HAS_SHARED = existsSync(sharedDir);

/** Run order: cheap and fundamental first, long ones last. Scripts not listed run after these, by name. */
const ORDER = [
  'heuristic',
  'eval-convai',
  'embedding-throughput',
  'detector-memory',
  'quantize',
  'lora-train',
  'ann',
  'serve-load',
];

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: join(root, 'docs/benchmarks.md') },
    timeout: { type: 'string', default: '1200' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  console.log(
    'usage: npx tsx bench/run.ts [name ...] [--out docs/benchmarks.md] [--timeout seconds] [--list]',
  );
  process.exit(0);
}

const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
  .map((f) => basename(f, '.ts'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

function rank(name: string): number {
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
}

if (opts.list) {
  for (const name of available) console.log(name);
  process.exit(0);
}

const wanted = positionals.map((p) => basename(p, '.ts'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`No bench script named ${unknown.join(', ')}. Available: ${available.join(', ')}.`);
  process.exit(2);
}
const selected = wanted.length > 0 ? available.filter((a) => wanted.includes(a)) : available;
const timeoutMs = Number(opts.timeout) * 1000;
if (!(timeoutMs > 0)) {
  console.error(`--timeout must be a positive number of seconds, got "${opts.timeout}".`);
  process.exit(2);
}

interface Outcome {
  name: string;
  status: 'ok' | 'skipped' | 'failed';
  seconds: number;
  stdout: string;
  /** Why it was skipped or failed (one line). */
  reason?: string;
  /** The last lines of stderr, for a failure. */
  stderrTail?: string;
}

function needsShared(source: string): boolean {
  const marker = /^\s*(?:\/\/|\*)\s*needs:\s*(shared|none)\b/m.exec(source);
  if (marker) return marker[1] === 'shared';
  return /\.\.\/\.\.\/shared\b/.test(source);
}

/** The first sentence of the script's leading doc comment, for the section heading. */
function summary(source: string): string {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return '';
  const text = m[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const end = text.search(/\.(\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

function runScript(name: string): Promise<Outcome> {
  const started = performance.now();
  const source = readFileSync(join(here, `${name}.ts`), 'utf8');
  if (needsShared(source) && !HAS_SHARED) {
    return Promise.resolve({
      name,
      status: 'skipped',
      seconds: 0,
      stdout: '',
      reason: `needs ${sharedDir}, which is absent`,
    });
  }
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', `${name}.ts`)], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      process.stdout.write(s);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      process.stderr.write(s);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const out = stdout.replace(/\s+$/, '');
      if (code === 0 && !spawnError) {
        const skipped = /^skipped:/i.test(out.trimStart());
        resolvePromise(
          skipped
            ? {
                name,
                status: 'skipped',
                seconds,
                stdout: '',
                reason: out.trimStart().replace(/^skipped:\s*/i, ''),
              }
            : { name, status: 'ok', seconds, stdout: out },
        );
        return;
      }
      const why = spawnError
        ? `could not start: ${spawnError.message}`
        : timedOut
          ? `killed after ${opts.timeout} s`
          : `exit ${code ?? signal}`;
      const tail = stderr.replace(/\s+$/, '').split('\n').slice(-30).join('\n');
      resolvePromise({ name, status: 'failed', seconds, stdout: out, reason: why, stderrTail: tail });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function fence(text: string, lang = 'text'): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node.js ${process.version}, ${platform()} ${release()}`;
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function section(o: Outcome): string {
  const source = readFileSync(join(here, `${o.name}.ts`), 'utf8');
  const lines = [`<!-- bench:${o.name} -->`, `## ${o.name}`, ''];
  const about = summary(source);
  if (about) lines.push(about, '');
  lines.push(`Reproduce: \`npx tsx bench/${o.name}.ts\``, '');
  if (o.status === 'skipped') {
    lines.push(`**Skipped** (${date}): ${o.reason}`);
  } else {
    lines.push(`Measured ${date} on ${machine}, in ${o.seconds.toFixed(1)} s.`, '');
    if (o.status === 'failed') {
      lines.push(`**Failed** (${o.reason}). Tail of stderr:`, '', fence(o.stderrTail || '(empty)'));
      if (o.stdout) lines.push('', 'Output before the failure:', '', fence(o.stdout));
    } else {
      lines.push(fence(o.stdout));
    }
  }
  lines.push(`<!-- /bench:${o.name} -->`);
  return lines.join('\n');
}

/** Sections of an existing benchmarks file, by script name, so a partial run keeps the others. */
function previousSections(path: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  const text = readFileSync(path, 'utf8');
  for (const m of text.matchAll(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)) out.set(m[1]!, m[0]);
  return out;
}

const outcomes: Outcome[] = [];
for (const name of selected) {
  process.stderr.write(`\n== bench/${name}.ts\n`);
  const o = await runScript(name);
  process.stderr.write(`== ${name}: ${o.status} (${o.seconds.toFixed(1)} s)\n`);
  outcomes.push(o);
}

const outPath = resolve(opts.out);
const sections = previousSections(outPath);
for (const o of outcomes) sections.set(o.name, section(o));
const names = [...sections.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const status = (name: string) => {
  const o = outcomes.find((x) => x.name === name);
  return o
    ? `${o.status}${o.status === 'skipped' ? '' : `, ${o.seconds.toFixed(1)} s`}`
    : 'kept from an earlier run';
};

const doc = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/run.ts): each script in bench/ runs in its own process and its output is',
  'copied verbatim below. Figures measured together in one script are comparable; figures from different',
  'sections or machines are not. Model-backed timings use the fixtures in ../shared, whose weights are random:',
  'they measure cost, never accuracy.',
  '',
  `Last run: ${date} on ${machine}.`,
  '',
  '| script | this run |',
  '| --- | --- |',
  ...names.map((n) => `| [${n}](#${n}) | ${status(n)} |`),
  '',
  ...names.map((n) => `${sections.get(n)!}\n`),
].join('\n');
await writeFile(outPath, doc);

const failed = outcomes.filter((o) => o.status === 'failed');
process.stderr.write(
  `\nWrote ${outPath}: ${outcomes.filter((o) => o.status === 'ok').length} ok, ` +
    `${outcomes.filter((o) => o.status === 'skipped').length} skipped, ${failed.length} failed.\n`,
);
if (failed.length > 0) process.exitCode = 1;
