import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerCheckModelCommand } from '../../src/cli/commands/check-model.js';
import { registerModelsCommand } from '../../src/cli/commands/models.js';
import { registerPullCommand } from '../../src/cli/commands/pull.js';
import { CHECK_NAMES } from '../../src/select/types.js';
import { MODEL_ZOO } from '../../src/zoo/model-zoo.js';
import { useFakeHub } from '../helpers/fake-hub.js';

const hub = useFakeHub();
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs `botlens <args>` with the three commands and returns what it printed and the exit code. */
async function run(args: string[]): Promise<{ out: string; code: number | undefined }> {
  const program = new Command('botlens').exitOverride().configureOutput({ writeErr: () => undefined });
  registerCheckModelCommand(program);
  registerModelsCommand(program);
  registerPullCommand(program);
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['node', 'botlens', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : undefined;
  process.exitCode = undefined;
  return { out: chunks.join(''), code };
}

/** Runs a `botlens` command line (words split at spaces) against the fake hub. */
function onHub(line: string): Promise<{ out: string; code: number | undefined }> {
  return run([...line.split(' '), '--hub-url', hub.url]);
}

describe('botlens check-model', () => {
  it('--json prints { id, verdict, checks: [{ name, status, value, message }] }', async () => {
    const { out, code } = await onHub(
      'check-model Xenova/bart-large-mnli --task nli --budget 2GB --dtype q8 --json',
    );
    const report = JSON.parse(out) as { id: string; verdict: string; checks: Record<string, unknown>[] };
    expect(Object.keys(report)).toEqual(['id', 'verdict', 'checks']);
    expect(report.id).toBe('Xenova/bart-large-mnli');
    expect(report.checks.map((c) => c['name'])).toEqual(CHECK_NAMES);
    for (const c of report.checks) {
      expect(Object.keys(c)).toEqual(['name', 'status', 'value', 'message']);
      expect(['pass', 'warn', 'fail']).toContain(c['status']);
    }
    expect(report.checks.find((c) => c['name'] === 'task')?.['status']).toBe('pass');
    expect(report.checks.find((c) => c['name'] === 'memory')?.['status']).toBe('pass'); // q8: ~0.6 GB of 2 GB
    expect(code).not.toBe(1);
  });

  it('prints a readable table and exits 1 on a fail verdict', async () => {
    const { out, code } = await onHub(
      'check-model textattack/bert-base-uncased-MNLI --task nli --budget 4GB',
    );
    expect(out).toMatch(/^textattack\/bert-base-uncased-MNLI @ [0-9a-f]{7} for the nli detector: FAIL/);
    expect(out).toMatch(/^check\s+status\s+value\s+message$/m);
    expect(out).toMatch(/^security\s+fail\s+pickle, scan clean\s+Its weights are pickle only/m);
    expect(code).toBe(1);
  });

  it('notes the hub sources it could not read (a gated repo)', async () => {
    const { out } = await onHub('check-model meta-llama/Llama-3.2-1B --task perplexity --budget 8GB');
    expect(out).toMatch(/^note: could not read safetensors: meta-llama\/Llama-3.2-1B is a gated repo/m);
    expect(out).toMatch(/^license\s+warn\s+llama3.2\s+/m);
  });

  it('takes the task of a catalogue model when --task is left out, and reads --languages', async () => {
    const { out } = await onHub('check-model Xenova/e5-small-v2 --budget 1GB --languages en,de --json');
    const report = JSON.parse(out) as { checks: { name: string; status: string; message: string }[] };
    expect(report.checks.find((c) => c.name === 'task')?.message).toMatch(/embedding detector/);
    expect(report.checks.find((c) => c.name === 'language')?.status).toBe('fail'); // e5-small-v2 is English only
  });

  it('needs --task for a model outside the catalogue, and --budget always', async () => {
    await expect(
      run(['check-model', 'facebook/bart-large-mnli', '--budget', '2GB', '--hub-url', hub.url]),
    ).rejects.toThrow(/--task/);
    await expect(run(['check-model', 'Xenova/gpt2', '--hub-url', hub.url])).rejects.toThrow(/--budget/);
    await expect(run(['check-model', 'Xenova/gpt2', '--task', 'ner', '--budget', '1GB'])).rejects.toThrow(
      /Allowed choices/,
    );
    hub.reset();
    await expect(
      run(['check-model', 'Xenova/gpt2', '--budget', '1GB', '--min-downloads', 'many', '--hub-url', hub.url]),
    ).rejects.toThrow(
      /option .--min-downloads <n>. argument .many. is invalid\. expected a number >= 0, got "many"/,
    );
    expect(hub.requests).toEqual([]); // rejected before any request
  });
});

describe('botlens models', () => {
  it('lists every catalogue entry with the defaults starred', async () => {
    const { out } = await run(['models']);
    for (const id of Object.keys(MODEL_ZOO)) expect(out).toContain(id);
    expect(out).toMatch(/Xenova\/bart-large-mnli\s+nli\*/);
    expect(out).toMatch(/Xenova\/gpt2\s+perplexity\*,fewshot/);
  });

  it('filters by detector and prints JSON', async () => {
    const { out } = await run(['models', '--detector', 'embedding', '--json']);
    const ids = (JSON.parse(out) as { id: string }[]).map((e) => e.id);
    expect(ids).toEqual(['Xenova/e5-small-v2', 'Xenova/all-MiniLM-L6-v2']);
  });
});

describe('botlens pull', () => {
  it('downloads a small repo into the cache dir and reports it', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'botlens-cli-pull-'));
    try {
      const pull = `pull botlens-fixtures/tiny-random-bert --dtype q8 --quiet --cache-dir ${cacheDir}`;
      const { out } = await onHub(pull);
      expect(out).toMatch(
        /^Pulled botlens-fixtures\/tiny-random-bert@main: 6 files, [\d.]+ kB downloaded, into /,
      );
      const s = await stat(join(cacheDir, 'botlens-fixtures/tiny-random-bert/onnx/model_quantized.onnx'));
      expect(s.size).toBe(61_022);
      const json = await onHub(`${pull} --json`);
      const r = JSON.parse(json.out) as { downloadedBytes: number; files: { cached: boolean }[] };
      expect(r.downloadedBytes).toBe(0);
      expect(r.files.every((f) => f.cached)).toBe(true);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('--graphs downloads only the named ONNX graphs, and names the ones a repo has when it has none of them', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'botlens-cli-pull-'));
    try {
      const base = `pull botlens-fixtures/tiny-random-bert --quiet --cache-dir ${cacheDir}`;
      await expect(onHub(`${base} --graphs text_model,vision_model`)).rejects.toThrow(
        /no ONNX graph named text_model or vision_model for dtype fp32; it has model/,
      );
      const ok = await onHub(`${base} --graphs model --json`);
      const r = JSON.parse(ok.out) as { files: { path: string }[] };
      expect(r.files.map((f) => f.path).filter((p) => p.endsWith('.onnx'))).toEqual(['onnx/model.onnx']);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
