/**
 * An unreachable hub is explained with the setting the reader can change: `hubUrl` only where the caller gave that
 * option (pullModel, checkModel), `HF_ENDPOINT` where the address came from the environment (a detector's
 * download, every CLI command), `--hub-url` on the commands that have it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullModel } from '../../src/hub/pull-model.js';
import { runCli } from '../helpers/run-cli.js';

const DOWN = 'http://127.0.0.1:1';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'botlens-hub-setting-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The message pullModel rejects with. */
async function pullRefusal(options: Parameters<typeof pullModel>[1]): Promise<string> {
  try {
    await pullModel('Xenova/x', { cacheDir: dir, retries: 0, ...options });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected pullModel to fail');
}

describe('the hub that cannot be reached names the setting that chose it', () => {
  it('pullModel: hubUrl when given, HF_ENDPOINT when the address came from the environment', async () => {
    expect(await pullRefusal({ hubUrl: DOWN })).toMatch(/check the network and hubUrl\.$/);
    const before = process.env['HF_ENDPOINT'];
    process.env['HF_ENDPOINT'] = DOWN;
    try {
      const msg = await pullRefusal({});
      expect(msg).toMatch(/check the network and HF_ENDPOINT\.$/);
      expect(msg).not.toContain('hubUrl');
    } finally {
      if (before === undefined) delete process.env['HF_ENDPOINT'];
      else process.env['HF_ENDPOINT'] = before;
    }
  });

  it('detect with a model member names HF_ENDPOINT and --model-dir, never the hubUrl or modelDir options', async () => {
    const chat = join(dir, 'chat.json');
    await writeFile(
      chat,
      JSON.stringify({
        target: 'bot',
        messages: [
          { speaker: 'ann', text: 'hi, who is this?' },
          { speaker: 'bot', text: 'Hello ! I am happy to help you .' },
        ],
      }),
    );
    const r = await runCli(
      ['detect', chat, '--detectors', 'heuristic,nli', '--model', 'nli=Xenova/bart-large-mnli'],
      { env: { BOTLENS_OFFLINE: '0', HF_ENDPOINT: DOWN, BOTLENS_CACHE_DIR: join(dir, 'cache') } },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Could not reach the hub at http://127.0.0.1:1/');
    expect(r.stderr).toContain('check the network and HF_ENDPOINT.');
    expect(r.stderr).not.toContain('hubUrl');
    // The member-failure line words the library's remedies with the command's flags.
    const line = r.stderr.split('\n').find((l) => l.startsWith('botlens: detector "nli" failed'));
    expect(line).toMatch(
      /go offline with a local copy \(`botlens pull Xenova\/bart-large-mnli`, or --model-dir DIR\)\.$/,
    );
    expect(r.stderr).not.toContain('modelDir');
  });

  it('pull without --hub-url names HF_ENDPOINT and the flag', async () => {
    const r = await runCli(['pull', 'Xenova/x'], {
      env: { BOTLENS_OFFLINE: '0', HF_ENDPOINT: DOWN, BOTLENS_CACHE_DIR: join(dir, 'cache') },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('check the network and HF_ENDPOINT (or pass --hub-url).');
    expect(r.stderr).not.toContain('hubUrl');
  });
});
