import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseTranscriptsJsonl,
  readTranscriptJson,
  readTranscriptsJsonl,
} from '../src/data/read-transcripts.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { CONVAI_DIR, describeWithShared } from './helpers/shared.js';

const rec = (label: string, target = 'b') =>
  JSON.stringify({
    id: 'x',
    messages: [
      { speaker: 'a', text: 'hi' },
      { speaker: 'b', text: 'hello' },
    ],
    target,
    label,
  });

describe('parseTranscriptsJsonl', () => {
  it('reads records, skipping blank lines and CRLF endings', () => {
    const rows = parseTranscriptsJsonl(`${rec('bot')}\r\n\r\n${rec('human', 'a')}\n`);
    expect(rows.map((r) => [r.target, r.label])).toEqual([
      ['b', 'bot'],
      ['a', 'human'],
    ]);
  });

  it('names the line of bad JSON, a bad label and an invalid transcript', () => {
    expect(() => parseTranscriptsJsonl(`${rec('bot')}\n{oops`, 'f.jsonl')).toThrow(
      /f\.jsonl:2: line is not valid JSON/,
    );
    expect(() => parseTranscriptsJsonl(rec('robot'), 'f.jsonl')).toThrow(
      /f\.jsonl:1 label: label must be "human" or "bot"/,
    );
    try {
      parseTranscriptsJsonl(rec('bot', 'zed'), 'f.jsonl');
      expect.unreachable();
    } catch (err) {
      expect(InvalidTranscriptError.isInstance(err)).toBe(true);
      expect((err as InvalidTranscriptError).issues[0]!.path).toBe('f.jsonl:1 target');
    }
    expect(() => parseTranscriptsJsonl('[1,2]')).toThrow(/must be a JSON object/);
  });

  it('allows unlabelled records when asked', () => {
    const line = JSON.stringify({ messages: [{ speaker: 'a', text: 'hi' }] });
    expect(parseTranscriptsJsonl(line, 'x', { requireLabel: false })).toHaveLength(1);
  });
});

describe('file readers', () => {
  it('reads a JSON transcript and reports a missing file as READ_FAILED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-'));
    const p = join(dir, 't.json');
    writeFileSync(p, JSON.stringify({ messages: [{ speaker: 'a', text: 'hi' }] }));
    expect((await readTranscriptJson(p)).messages).toHaveLength(1);
    // Saved with a byte-order mark (Windows editors write one): read like any other, as JSONL lines are.
    writeFileSync(
      p,
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(JSON.stringify({ messages: [{ speaker: 'a', text: 'hi' }] })),
      ]),
    );
    expect((await readTranscriptJson(p)).messages).toEqual([{ speaker: 'a', text: 'hi' }]);
    await expect(readTranscriptJson(join(dir, 'nope.json'))).rejects.toSatisfy(
      (e: unknown) => BotlensError.isInstance(e) && e.code === 'READ_FAILED' && /ENOENT/.test(e.message),
    );
    writeFileSync(p, '{ not json');
    await expect(readTranscriptJson(p)).rejects.toThrow(/not valid JSON/);
  });

  describeWithShared('the ConvAI logs', () => {
    it('reads train and dev with the documented counts', async () => {
      const train = await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'));
      const dev = await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'));
      expect(train).toHaveLength(1154);
      expect(train.filter((r) => r.label === 'bot')).toHaveLength(482);
      expect(dev).toHaveLength(384);
      expect(dev.filter((r) => r.label === 'bot')).toHaveLength(166);
    });
  });
});
