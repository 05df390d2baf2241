import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** Runs the CLI from source; resolves with exit code, stdout and stderr. */
async function botlens(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'botlens-eval-'));
/** `turns` exchanges; bots answer in a stiff, spaced style. */
const row = (label: 'bot' | 'human', i: number, turns: number) =>
  JSON.stringify({
    target: 'x',
    label,
    source: i % 2 ? 'alpha' : 'beta',
    messages: Array.from({ length: turns }, (_, k) => [
      { speaker: 'u', text: `so what about ${i} and ${k}?` },
      {
        speaker: 'x',
        text:
          label === 'bot'
            ? `Hello ! I like to read books . Do you have pets ? ${k}`
            : `lol idk ${i + k} maybe`,
      },
    ]).flat(),
  });
const data = join(tmp, 'data.jsonl');
writeFileSync(
  data,
  `${Array.from({ length: 12 }, (_, i) => row(i % 3 ? 'bot' : 'human', i, 3)).join('\n')}\n`,
);
const long = join(tmp, 'long.jsonl');
writeFileSync(long, `${[row('bot', 1, 130), row('human', 2, 3)].join('\n')}\n`);
const empty = join(tmp, 'empty.jsonl');
writeFileSync(empty, '\n');

describe('botlens eval breakdowns and transcript limits', () => {
  it('--by, --prefix and --ci add per-group metrics, the prefix protocol and intervals, in camelCase', async () => {
    const r = await botlens(['eval', '--data', data, '--by', 'source', '--prefix', '1', '--ci', '--json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(Object.keys(m.by).sort()).toEqual(['alpha', 'beta']);
    expect(m.by.alpha).toHaveProperty('tprAt1Fpr');
    expect(m.by.alpha.n + m.by.beta.n).toBe(12);
    expect(m.prefix).toEqual({ k: 1, skipped: 0 });
    expect(m.ci.f1).toHaveLength(2);
    expect(m.members).toHaveProperty('heuristic');
    expect(JSON.stringify(m)).not.toMatch(/_at_|fit_ms/);
  });

  it('--by refuses a field no record has, and says how many records a field some lack leaves out', async () => {
    const typo = await botlens(['eval', '--data', data, '--by', 'sourse', '--json']);
    expect(typo.code).not.toBe(0);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toContain('no record of --data has a "sourse" field');
    const some = join(tmp, 'some-sourced.jsonl');
    const rows = Array.from({ length: 12 }, (_, i) => JSON.parse(row(i % 3 ? 'bot' : 'human', i, 3)));
    for (const r of rows.slice(0, 2)) delete r.source;
    rows[2].source = null;
    writeFileSync(some, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const r = await botlens(['eval', '--data', some, '--by', 'source', '--json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.n).toBe(12);
    expect(m.by.alpha.n + m.by.beta.n).toBe(9);
    expect(r.stderr).toContain('3 of 12 records have no "source" field');
  });

  it('--prefix takes a decimal whole number of 1 or more: hex, blank and 0 are refused before any scoring', async () => {
    for (const v of ['0x2', ' ', '0', '1.5']) {
      const r = await botlens(['eval', '--data', data, '--prefix', v, '--json']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`expected a whole number of target messages (1 or more), got "${v}"`);
    }
  });

  it('fails on a file with a 260-message row, unless --max-messages raises the limit or --truncate cuts it', async () => {
    const plain = await botlens(['eval', '--data', long, '--json']);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/more than 200 messages/);
    const raised = await botlens(['eval', '--data', long, '--max-messages', '300', '--json']);
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout).n).toBe(2);
    const cut = await botlens(['eval', '--data', long, '--truncate', '--json']);
    expect(cut.code).toBe(0);
    const bad = await botlens(['eval', '--data', long, '--max-messages', 'lots']);
    expect(bad.stderr).toMatch(/--max-messages/);
  });

  it('an empty data file is an error, not metrics of nothing', async () => {
    const r = await botlens(['eval', '--data', empty, '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/empty\.jsonl holds no transcript/);
  });

  it('detect and fit take --max-messages and --truncate too', async () => {
    const one = join(tmp, 'one.json');
    const { label: _l, source: _s, ...t } = JSON.parse(row('bot', 1, 130));
    writeFileSync(one, JSON.stringify(t));
    expect((await botlens(['detect', one])).code).not.toBe(0);
    const raised = await botlens(['detect', one, '--max-messages', '260']);
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout).support.targetMessages).toBe(130);
    const cut = await botlens(['detect', one, '--truncate']);
    expect(JSON.parse(cut.stdout).support.targetMessages).toBe(100);
    const many = join(tmp, 'many.jsonl');
    writeFileSync(
      many,
      `${Array.from({ length: 10 }, (_, i) => row(i % 2 ? 'bot' : 'human', i, 110)).join('\n')}\n`,
    );
    expect((await botlens(['fit', '--data', many, '--out', join(tmp, 'f.json')])).code).not.toBe(0);
    const fitted = await botlens([
      'fit',
      '--data',
      many,
      '--out',
      join(tmp, 'f.json'),
      '--max-messages',
      '220',
    ]);
    expect(fitted.stderr).toMatch(/fitted ensemble on 10 transcripts/);
    expect(fitted.code).toBe(0);
  });
});

describe('--truncate says once, on stderr, how many transcripts it cut', () => {
  /** 3 rows of 260 messages among 5. */
  const mixed = join(tmp, 'mixed.jsonl');
  writeFileSync(
    mixed,
    `${[130, 3, 130, 3, 130].map((turns, i) => row(i % 2 ? 'bot' : 'human', i, turns)).join('\n')}\n`,
  );
  /** The stderr lines that are the truncation note. */
  const notes = (stderr: string) => stderr.split('\n').filter((l) => l.includes('--truncate cut'));

  it('eval and fit print one summary line, not one per row', async () => {
    const ev = await botlens(['eval', '--data', mixed, '--truncate', '--json']);
    expect(ev.code).toBe(0);
    expect(notes(ev.stderr)).toEqual([
      `botlens: note: --truncate cut 3 of 5 transcripts (--data ${mixed}) to their last 200 messages; the results rest on those messages alone`,
    ]);
    const fit = await botlens(['fit', '--data', mixed, '--truncate', '--out', join(tmp, 'cut.json')]);
    expect(fit.code).toBe(0);
    expect(notes(fit.stderr)).toEqual([
      `botlens: note: --truncate cut 3 of 5 transcripts (--data ${mixed}) to their last 200 messages; the results rest on those messages alone`,
    ]);
    const raised = await botlens(['eval', '--data', mixed, '--truncate', '--max-messages', '300', '--json']);
    expect(notes(raised.stderr)).toEqual([]);
  });

  it('score counts the scored lines it cut, in one line and in its --json summary', async () => {
    const r = await botlens([
      'score',
      mixed,
      '--out',
      join(tmp, 'cut-scores.jsonl'),
      '--truncate',
      '--max-messages',
      '100',
      '--workers',
      '0',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(notes(r.stderr)).toEqual([
      'botlens: note: --truncate cut 3 of 5 scored lines (their records carry truncatedFrom) to their last 100 messages; the results rest on those messages alone',
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({ scored: 5, truncated: 3 });
  });
});
