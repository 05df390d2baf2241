import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { HubError } from '../../src/errors/hub-error.js';
import { createHubFetch } from '../../src/hub/hub-fetch.js';
import { checkModel } from '../../src/select/check-model.js';
import { fetchModelFacts } from '../../src/select/fetch-model-facts.js';
import { useFakeHub } from '../helpers/fake-hub.js';

const hub = useFakeHub();

const INFO = (id: string) => (q: { url: string }) => q.url.startsWith(`/api/models/${id}/revision/`);
const fast = { retries: 2, retryDelayMs: 1 };

async function hubError(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (err) {
    if (HubError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected a HubError');
}

describe('hub errors become HubErrors with the cause and a next step', () => {
  it('unknown repo without a token: the hub answers 401 RepoNotFound -> not-found', async () => {
    const e = await hubError(fetchModelFacts('nobody/no-such-model', { hubUrl: hub.url, ...fast }));
    expect(e.kind).toBe('not-found');
    expect(e.status).toBe(401);
    expect(e.model).toBe('nobody/no-such-model');
    expect(e.message).toMatch(/not found.*check the id/);
    expect((e.cause as { statusCode?: number }).statusCode).toBe(401);
    expect(hub.requests).toHaveLength(1); // 401 is not retried
  });

  it('unknown repo with a token: 404 -> not-found', async () => {
    const e = await hubError(
      fetchModelFacts('nobody/no-such-model', { hubUrl: hub.url, accessToken: 'hf_x', ...fast }),
    );
    expect(e).toMatchObject({ kind: 'not-found', status: 404 });
  });

  it('unknown revision -> not-found', async () => {
    const e = await hubError(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, revision: 'v9', ...fast }));
    expect(e.kind).toBe('not-found');
  });

  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    hub.addFault({ match: INFO('Xenova/gpt2'), status: 429, times: 2, headers: { 'Retry-After': '0' } });
    const facts = await fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast });
    expect(facts.id).toBe('Xenova/gpt2');
    expect(hub.requests.filter(INFO('Xenova/gpt2'))).toHaveLength(3);

    hub.reset();
    hub.addFault({ match: INFO('Xenova/gpt2'), status: 502, times: 1 });
    await expect(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast })).resolves.toMatchObject({
      id: 'Xenova/gpt2',
    });
    expect(hub.requests.filter(INFO('Xenova/gpt2'))).toHaveLength(2);
  });

  it('gives up after the retries: rate-limited and server', async () => {
    hub.addFault({ match: INFO('Xenova/gpt2'), status: 429 });
    const limited = await hubError(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast }));
    expect(limited).toMatchObject({ kind: 'rate-limited', status: 429 });
    expect(limited.message).toMatch(/accessToken/);
    expect(hub.requests.filter(INFO('Xenova/gpt2'))).toHaveLength(3); // 1 + 2 retries

    hub.reset();
    hub.addFault({ match: INFO('Xenova/gpt2'), status: 503 });
    const down = await hubError(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast }));
    expect(down).toMatchObject({ kind: 'server', status: 503 });
    expect(down.message).toMatch(/try again later/);
  });

  it('times out a hanging request, retries, then reports timeout', async () => {
    hub.addFault({ match: INFO('Xenova/gpt2'), hang: true });
    const t0 = performance.now();
    const e = await hubError(
      fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, timeoutMs: 150, retries: 1, retryDelayMs: 1 }),
    );
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/within 150 ms \(2 attempts\)/);
    expect(hub.requests.filter(INFO('Xenova/gpt2'))).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('reports malformed answers: invalid JSON and a body without a repo id', async () => {
    hub.addFault({ match: INFO('Xenova/gpt2'), status: 200, body: '{"id": "Xenova/gpt2", ', times: 1 });
    const bad = await hubError(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast }));
    expect(bad.kind).toBe('malformed');
    expect(bad.cause).toBeInstanceOf(SyntaxError);

    hub.addFault({ match: INFO('Xenova/gpt2'), status: 200, body: '[]', times: 1 });
    const empty = await hubError(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast }));
    expect(empty.kind).toBe('malformed');
  });

  it('a malformed answer from the hub HF_ENDPOINT chose names HF_ENDPOINT, not the hubUrl option', async () => {
    const before = process.env['HF_ENDPOINT'];
    process.env['HF_ENDPOINT'] = hub.url;
    try {
      hub.addFault({ match: INFO('Xenova/gpt2'), status: 200, body: '[]', times: 1 });
      const empty = await hubError(fetchModelFacts('Xenova/gpt2', fast));
      expect(empty.message).toMatch(
        /has no repo id \("id"\): check HF_ENDPOINT points at a Hugging Face Hub\.$/,
      );
      hub.addFault({ match: INFO('Xenova/gpt2'), status: 200, body: '{"id": ', times: 1 });
      const bad = await hubError(fetchModelFacts('Xenova/gpt2', fast));
      expect(bad.message).toMatch(/check HF_ENDPOINT points at a Hugging Face Hub\.$/);
      for (const e of [empty, bad]) expect(e.message).not.toContain('hubUrl');
    } finally {
      if (before === undefined) delete process.env['HF_ENDPOINT'];
      else process.env['HF_ENDPOINT'] = before;
    }
    // Given as an option, the option is named.
    hub.addFault({ match: INFO('Xenova/gpt2'), status: 200, body: '[]', times: 1 });
    const own = await hubError(fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url, ...fast }));
    expect(own.message).toMatch(/check hubUrl points at a Hugging Face Hub\.$/);
  });

  it('reports an unreachable hub as a network error', async () => {
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const { port } = probe.address() as AddressInfo;
    await new Promise((ok) => probe.close(ok));
    const e = await hubError(
      fetchModelFacts('Xenova/gpt2', { hubUrl: `http://127.0.0.1:${port}`, retries: 1, retryDelayMs: 1 }),
    );
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(/Could not reach the hub/);
    expect(e.cause).toBeDefined();
  });

  it('keeps going when a secondary source fails: the scan becomes unknown and the failure is listed', async () => {
    hub.addFault({ match: (q) => q.url.includes('securityStatus=true'), status: 500 });
    hub.addFault({ match: (q) => q.url.startsWith('/api/models/Xenova/gpt2/tree/'), status: 500 });
    const r = await checkModel('Xenova/gpt2', {
      task: 'perplexity',
      memoryBudget: '4GB',
      hubUrl: hub.url,
      ...fast,
    });
    const security = r.checks.find((c) => c.name === 'security')!;
    expect(security).toMatchObject({ status: 'warn', value: { scan: 'unknown' } });
    expect(r.problems.map((p) => p.source).sort()).toEqual(['files', 'security']);
    // without the tree, the file names still come from the model info's siblings (sizes unknown)
    const task = r.checks.find((c) => c.name === 'task')!;
    expect(task.status).toBe('pass');
  });
});

describe('createHubFetch', () => {
  it('aborts during the backoff wait with AbortedError', async () => {
    hub.addFault({ match: () => true, status: 503 });
    const ac = new AbortController();
    const f = createHubFetch({ retries: 5, baseDelayMs: 10_000, signal: ac.signal });
    const p = f(`${hub.url}/api/models/Xenova/gpt2`);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toSatisfy((e: unknown) => AbortedError.isInstance(e));
    expect(hub.requests).toHaveLength(1);
  });

  it('returns the last 5xx response after the retries, for the client to report', async () => {
    hub.addFault({ match: () => true, status: 500 });
    const res = await createHubFetch({ retries: 1, baseDelayMs: 1 })(`${hub.url}/api/models/Xenova/gpt2`);
    expect(res.status).toBe(500);
    expect(hub.requests).toHaveLength(2);
  });

  it('does not retry client errors', async () => {
    const res = await createHubFetch({ retries: 3, baseDelayMs: 1 })(`${hub.url}/api/models/nobody/nothing`);
    expect(res.status).toBe(401);
    expect(hub.requests).toHaveLength(1);
  });
});
