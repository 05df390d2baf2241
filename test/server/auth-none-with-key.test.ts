import { describe, expect, it } from 'vitest';
import { ServiceStartError } from '../../src/errors/service-start-error.js';
import { resolveApiKey } from '../../src/server/serve.js';

describe('"auth": "none" with a key in the environment', () => {
  it('refuses to start rather than ignore an exported BOTLENS_API_KEY, as it refuses apiKeyEnv with "none"', () => {
    let err: unknown;
    try {
      resolveApiKey({ auth: 'none' }, '127.0.0.1', { BOTLENS_API_KEY: 'secret' });
    } catch (e) {
      err = e;
    }
    expect(ServiceStartError.isInstance(err)).toBe(true);
    expect((err as Error).message).toBe(
      'server.auth is "none" (or --auth none) but BOTLENS_API_KEY is set, and the key would be ignored: unset ' +
        'BOTLENS_API_KEY to serve without a key, or drop "auth": "none" to require it.',
    );
    expect(() => resolveApiKey({ auth: 'none' }, '0.0.0.0', { BOTLENS_API_KEY: 'secret' })).toThrow(
      /would be ignored/,
    );
    // An empty variable (docker compose's `${BOTLENS_API_KEY:-}`) holds no key: "none" stands.
    expect(resolveApiKey({ auth: 'none' }, '127.0.0.1', { BOTLENS_API_KEY: '' })).toEqual({});
    // Without "none" the key is used.
    expect(resolveApiKey({}, '0.0.0.0', { BOTLENS_API_KEY: 'secret' })).toEqual({ apiKey: 'secret' });
  });
});
