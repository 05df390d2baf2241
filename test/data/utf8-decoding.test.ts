/**
 * Files that are not valid UTF-8 are an error naming the file, line and byte (score: a rejected line), never text
 * with U+FFFD in place of the bytes.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../../src/data/decode-utf8.js';
import { readCorpusLines } from '../../src/data/read-lines.js';
import { readTranscriptJson, readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { InvalidTranscriptError } from '../../src/errors/invalid-transcript-error.js';
import { runCli } from '../helpers/run-cli.js';

let tmp: string;
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe]); // "caf\xe9 \xff\xfe"
const good = (text: string) =>
  `{"messages":[{"speaker":"a","text":"${text}"},{"speaker":"b","text":"hi"}],"target":"a","label":"bot"}`;
function badLine(): Buffer {
  const [head, tail] = good('@').split('@') as [string, string];
  return Buffer.concat([Buffer.from(head), LATIN1, Buffer.from(tail)]);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-utf8-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('firstInvalidUtf8', () => {
  it('finds the first byte a fatal TextDecoder refuses, and -1 for valid text', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const cases: number[][] = [
      [0x61, 0xe9, 0x62], // latin-1 é
      [0x61, 0xc0, 0x80], // overlong NUL
      [0x61, 0xed, 0xa0, 0x80], // surrogate
      [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
      [0x61, 0x62, 0xe2, 0x82], // truncated €
      [0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9], // € 😀 é: valid
    ];
    for (const c of cases) {
      const bytes = Uint8Array.from(c);
      let valid = true;
      try {
        fatal.decode(bytes);
      } catch {
        valid = false;
      }
      const at = firstInvalidUtf8(bytes);
      expect(at === -1, `${c}`).toBe(valid);
    }
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xe9, 0x62]))).toBe(1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2);
  });
});

describe('the readers refuse malformed UTF-8', () => {
  it('readTranscriptJson names the file, line and byte', async () => {
    const file = join(tmp, 'bad.json');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('{\n  "messages": [{"speaker": "a", "text": "'),
        LATIN1,
        Buffer.from('"}]\n}'),
      ]),
    );
    const err = await readTranscriptJson(file).catch((e: unknown) => e);
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    expect((err as InvalidTranscriptError).issues[0]!.path).toBe(`${file}:2`);
    expect((err as Error).message).toMatch(
      /not valid UTF-8 at byte 45 of the line \(0xe9, byte 47 of the file, counting from 1\)/,
    );
  });

  it('readTranscriptsJsonl names the line', async () => {
    const file = join(tmp, 'bad.jsonl');
    await writeFile(file, Buffer.concat([Buffer.from(`${good('fine')}\n`), badLine(), Buffer.from('\n')]));
    await expect(readTranscriptsJsonl(file)).rejects.toThrow(
      /bad\.jsonl:2: line is not valid UTF-8 at byte \d+/,
    );
  });

  it('readCorpusLines marks a bad line invalid, whatever the chunk size, and keeps the others as they are', async () => {
    const file = join(tmp, 'corpus.jsonl');
    const lines = [good('café ☕ 😀'), good('two'), good('three')];
    await writeFile(
      file,
      Buffer.concat([Buffer.from(`${lines[0]}\r\n`), badLine(), Buffer.from(`\n\n${lines[1]}\n${lines[2]}`)]),
    );
    for (const highWaterMark of [1, 3, 7, 64 * 1024]) {
      const got = [];
      for await (const l of readCorpusLines(createReadStream(file, { highWaterMark }))) got.push(l);
      expect(got.map((l) => l.line)).toEqual([1, 2, 4, 5]);
      expect(got.map((l) => l.invalid === undefined)).toEqual([true, false, true, true]);
      expect(got[1]!.invalid).toMatch(/^line is not valid UTF-8 at byte 40 of the line \(0xe9\)/);
      expect([got[0]!.text, got[2]!.text, got[3]!.text]).toEqual(lines);
    }
  });
});

describe('readCorpusLines splits as readline does, in time linear in the line', () => {
  /** The non-blank lines of `bytes` read in chunks of `size` bytes, as [number, text]. */
  async function lines(bytes: Buffer, size: number): Promise<[number, string][]> {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    const out: [number, string][] = [];
    for await (const l of readCorpusLines(Readable.from(chunks))) out.push([l.line, l.text]);
    return out;
  }

  it('at \\n, \\r\\n and a lone \\r, whatever the chunk size (a \\r at a chunk end included)', async () => {
    const text = 'a1\r\nb2\rc3\n\nd4\r\re5\r\n\rf6é\r';
    const want: [number, string][] = [];
    let n = 0;
    for await (const l of createInterface({
      input: Readable.from([text]),
      crlfDelay: Number.POSITIVE_INFINITY,
    })) {
      n++;
      if (l.trim() !== '') want.push([n, l.trim()]);
    }
    expect(want).toEqual([
      [1, 'a1'],
      [2, 'b2'],
      [3, 'c3'],
      [5, 'd4'],
      [7, 'e5'],
      [9, 'f6é'],
    ]);
    for (const size of [1, 2, 3, 5, 7, 1000])
      expect(await lines(Buffer.from(text), size), `chunks of ${size}`).toEqual(want);
  });

  it('reads a 32 MB line in well under a second (its pieces are joined once, not at every chunk)', async () => {
    const t0 = performance.now();
    const got = await lines(Buffer.alloc(32 * 1024 * 1024, 0x61), 65_536);
    expect(got).toHaveLength(1);
    expect(got[0]![1]).toHaveLength(32 * 1024 * 1024);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('the CLI', () => {
  it('detect fails on a malformed file, naming it; score rejects the bad line and scores the others', async () => {
    const json = join(tmp, 'bad-detect.json');
    await writeFile(json, badLine());
    const d = await runCli(['detect', json]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/bad-detect\.json:1: not valid UTF-8 at byte 40 of the line \(0xe9/);
    const corpus = join(tmp, 'score.jsonl');
    await writeFile(
      corpus,
      Buffer.concat([Buffer.from(`${good('one')}\n`), badLine(), Buffer.from(`\n${good('three')}\n`)]),
    );
    const out = join(tmp, 'scores.jsonl');
    const s = await runCli([
      'score',
      corpus,
      '--out',
      out,
      '--workers',
      '0',
      '--on-invalid',
      'skip',
      '--json',
    ]);
    expect(s.code).toBe(3);
    expect(JSON.parse(s.stdout)).toMatchObject({ scored: 2, rejected: 1 });
    const rejects = (await readFile(`${out}.rejects.jsonl`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects).toEqual([
      { line: 2, reason: expect.stringMatching(/^line is not valid UTF-8 at byte 40/) },
    ]);
    const fail = await runCli(['score', corpus, '--out', join(tmp, 'scores-fail.jsonl'), '--workers', '0']);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/score\.jsonl:2: line is not valid UTF-8 .*--on-invalid skip/);
  });
});
