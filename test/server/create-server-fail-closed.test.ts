import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import { createServer } from '../../src/server/app.js';
import { heuristicEnsemble, sample } from './start-server.js';

/** Whether something answers HTTP on 127.0.0.1:`port` (requests go only to loopback, whatever was bound). */
async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

describe('createServer fails closed like startService', () => {
  it('refuses to listen on 0.0.0.0 without an API key: listen rejects, and the port does not answer after', async () => {
    const { app } = await createServer(heuristicEnsemble());
    const err = await app.listen({ host: '0.0.0.0', port: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ServiceStartError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /^Refusing to serve 0\.0\.0\.0 without an API key: pass apiKey in createServer's options, or opt in to no authentication with auth: 'none'/,
    );
    expect(app.server.listening).toBe(false);
    await app.close();
  });

  it('the port bound for the refused listen never serves a request', async () => {
    // Bind a known port on all interfaces and ask loopback: nothing may answer there once listen rejected.
    const probe = await createServer(heuristicEnsemble());
    await probe.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (probe.app.server.address() as { port: number }).port;
    await probe.app.close();
    const { app } = await createServer(heuristicEnsemble());
    await expect(app.listen({ host: '0.0.0.0', port })).rejects.toThrow(/Refusing to serve 0\.0\.0\.0/);
    expect(await answers(port)).toBe(false);
    await app.close();
  });

  it('refuses through the callback form of listen too', async () => {
    const { app } = await createServer(heuristicEnsemble());
    const err = await new Promise<unknown>((resolve) => {
      void app.listen({ host: '0.0.0.0', port: 0 }, (e) => resolve(e));
    });
    expect(ServiceStartError.isInstance(err)).toBe(true);
    await app.close();
  });

  it('serves loopback without a key, and a public address with a key or with auth "none"', async () => {
    const local = await createServer(heuristicEnsemble());
    const url = await local.app.listen({ host: '127.0.0.1', port: 0 });
    const r = await fetch(`${url}/v1/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sample),
    });
    expect(r.status).toBe(200);
    await local.app.close();
    for (const options of [{ apiKey: 'k' }, { auth: 'none' as const }]) {
      const s = await createServer(heuristicEnsemble(), options);
      await s.app.listen({ host: '0.0.0.0', port: 0 });
      const port = (s.app.server.address() as { port: number }).port;
      expect(await answers(port), JSON.stringify(options)).toBe(true);
      await s.app.close();
    }
  });

  it('refuses auth settings that contradict the key', async () => {
    await expect(createServer(heuristicEnsemble(), { auth: 'bearer' })).rejects.toThrow(InvalidOptionsError);
    await expect(createServer(heuristicEnsemble(), { auth: 'none', apiKey: 'k' })).rejects.toThrow(
      /auth.*"none" but an apiKey is given/,
    );
  });
});
