/**
 * Inputs larger than a transcript can be under the limits are refused with a clear error, read incrementally and
 * never buffered whole: `detect` on an endless `/dev/zero`; `eval`/`fit`/`score` read a JSONL file line by line,
 * each line capped as a transcript file is (refused at the cap, naming file:line, without reading on). Real CLI child processes on generated files; the cap is made
 * small with `--max-messages 1` (158,096 bytes) so the files stay small.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { transcriptByteCap } from '../../src/data/input-byte-cap.js';
import { readCorpusLines } from '../../src/data/read-lines.js';
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

  it('eval --data refuses a row over the transcript cap, naming file:line and the cap, as a transcript file', async () => {
    // The cap has 64 KiB to spare for a row's other fields; a row longer than a transcript file can be is refused.
    const data = work.path('data.jsonl');
    const rows = labelledJsonl(4).trimEnd().split('\n');
    const wide = { ...JSON.parse(rows[0]!), raw: 'r'.repeat(CAP_FOUR) };
    writeFileSync(data, `${[rows[1], JSON.stringify(wide), ...rows.slice(2)].join('\n')}\n`);
    const r = await runCli(['eval', '--data', data, '--max-messages', '4', '--quiet', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${data}:2: line is more than the ${CAP_FOUR} bytes a transcript can take`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a 20 MB line under the default limits is refused by eval and score with its line number and the cap', async () => {
    const data = work.path('huge.jsonl');
    const rows = labelledJsonl(4).trimEnd().split('\n');
    const huge = JSON.stringify({
      target: 'x',
      label: 'bot',
      messages: [{ speaker: 'x', text: 'h'.repeat(20e6) }],
    });
    writeFileSync(data, `${rows[0]}\n${huge}\n${rows.slice(1).join('\n')}\n`);
    const CAP = transcriptByteCap();
    const ev = await runCli(['eval', '--data', data, '--quiet']);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toContain(`${data}:2: line is more than the ${CAP} bytes a transcript can take`);
    const out = work.path('huge-scores.jsonl');
    const skipping = ['--workers', '0', '--on-invalid', 'skip', '--json'];
    const sc = await runCli(['score', data, '--out', out, ...skipping]);
    expect(sc.code).toBe(3); // lines were rejected
    expect(JSON.parse(sc.stdout)).toMatchObject({ scored: 4, rejected: 1 });
    const reject = JSON.parse(readFileSync(`${out}.rejects.jsonl`, 'utf8'));
    expect(reject).toMatchObject({ line: 2 });
    expect(JSON.stringify(reject)).toContain(`line is more than the ${CAP} bytes a transcript can take`);
  });

  it('a line past the cap is handed out as soon as it passes it: the rest of the stream is not read', async () => {
    const chunk = Buffer.alloc(1 << 16, 0x61);
    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        for (let i = 0; i < 4096; i++) {
          pulled++;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    const lines = readCorpusLines(endless, 0, undefined, 200_000);
    const first = await lines.next();
    await lines.return(undefined);
    expect(first.value).toMatchObject({ line: 1, text: '' });
    expect((first.value as { invalid: string }).invalid).toContain('line is more than the 200000 bytes');
    expect(pulled).toBeLessThan(64);
  });

  it('eval --data names file:line of a row whose transcript breaks the limits; no stack', async () => {
    const data = work.path('data.jsonl');
    const long = JSON.stringify({
      target: 'x',
      label: 'bot',
      // Longer than maxTextLength, shorter than the line cap: the transcript's own limit is named.
      messages: [{ speaker: 'x', text: 'b'.repeat(CAP_FOUR / 2) }],
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
