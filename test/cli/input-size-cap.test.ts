/**
 * Inputs larger than a transcript can be under the limits are refused with a clear error, read incrementally and
 * never buffered whole: `detect` on an endless `/dev/zero`; `eval`/`fit` read a JSONL file line by line (a row's
 * other fields are not bound by the transcript cap; its transcript is validated, naming file:line). Real CLI child processes on generated files; the cap is made
 * small with `--max-messages 1` (158,096 bytes) so the files stay small.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { transcriptByteCap } from '../../src/data/input-byte-cap.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const CAP_ONE = transcriptByteCap({ limits: { maxMessages: 1 } });
const CAP_FOUR = transcriptByteCap({ limits: { maxMessages: 4 } });

describe('input size caps', () => {
  const work = useWorkDir('botlens-input-cap-');

  it('the cap follows the limits', () => {
    expect(transcriptByteCap()).toBe(12_607_536);
    expect(CAP_ONE).toBe(158_096);
    expect(transcriptByteCap({ limits: { maxMessages: 2000 } })).toBeGreaterThan(transcriptByteCap());
    expect(transcriptByteCap({ truncate: true })).toBe(256 * 1024 * 1024);
  });

  it('detect /dev/zero stops at the cap with a clear error, in seconds, without a stack', async () => {
    const t0 = performance.now();
    const r = await runCli(['detect', '/dev/zero'], { timeoutMs: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '/dev/zero: input is more than 12607536 bytes, larger than a transcript can be',
    );
    expect(r.stderr).toContain('raise the limits (--max-messages');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('detect refuses a file over a raised-down cap, and reads one under it', async () => {
    const big = work.path('big.json');
    const text = 'a'.repeat(9_000);
    const messages = Array.from({ length: 20 }, () => ({ speaker: 'x', text }));
    writeFileSync(big, JSON.stringify({ target: 'x', messages }));
    const r = await runCli(['detect', big, '--max-messages', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`input is more than ${CAP_ONE} bytes`);
    // Under the default cap it is read, and judged on its own merits (20 messages pass the default limits).
    const ok = await runCli(['detect', big]);
    expect(ok.code).toBe(0);
  });

  it('eval --data reads a row with fields beyond its transcript over the transcript cap, as score does', async () => {
    // A JSONL row may carry other fields (a raw log, metadata): only its transcript is bound by the limits.
    const data = work.path('data.jsonl');
    const rows = labelledJsonl(4).trimEnd().split('\n');
    const wide = { ...JSON.parse(rows[0]!), raw: 'r'.repeat(CAP_FOUR) };
    writeFileSync(data, `${[JSON.stringify(wide), ...rows.slice(1)].join('\n')}\n`);
    const r = await runCli(['eval', '--data', data, '--max-messages', '4', '--quiet', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).n).toBe(4);
  });

  it('eval --data names file:line of a row whose transcript breaks the limits; no stack', async () => {
    const data = work.path('data.jsonl');
    const long = JSON.stringify({
      target: 'x',
      label: 'bot',
      messages: [{ speaker: 'x', text: 'b'.repeat(CAP_FOUR) }],
    });
    writeFileSync(data, `${labelledJsonl(4)}${long}\n`);
    const r = await runCli(['eval', '--data', data, '--max-messages', '4', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${data}:5 messages\\.0\\.text|${data}:5 messages\\[0\\]\\.text`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('readTranscriptsJsonl reads line by line: numbering, blank lines, a BOM and CRLF as before', async () => {
    const data = work.path('crlf.jsonl');
    const lines = labelledJsonl(3).trimEnd().split('\n');
    writeFileSync(data, `\uFEFF${lines[0]}\r\n\r\n${lines[1]}\r\n${lines[2]}`);
    const rows = await readTranscriptsJsonl(data);
    expect(rows.map((r) => r.label)).toEqual(['human', 'bot', 'human']);
    writeFileSync(data, `${lines[0]}\n\n{"messages": 1}\n`);
    await expect(readTranscriptsJsonl(data)).rejects.toThrow(/crlf\.jsonl:3/);
  });
});
