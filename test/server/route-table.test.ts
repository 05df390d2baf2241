import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/app.js';
import { answer, redactPaths } from '../../src/server/error-table.js';
import { OPEN_ROUTES, ROUTE_METHODS, ROUTE_PATHS, ROUTES } from '../../src/server/route-table.js';
import { heuristicEnsemble, startServer } from './start-server.js';

/** Each route fastify serves, with its methods, read from `printRoutes()`'s tree (`├── /v1/detect (POST)`). */
function servedRoutes(tree: string): Map<string, string[]> {
  const served = new Map<string, string[]>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    served.set(stack.join(''), m[3]!.split(', '));
  }
  return served;
}

const routes = Object.values(ROUTES);

describe('the route table', () => {
  it('is what the service serves: every route with its methods, and no route beside it', async () => {
    const s = await createServer(heuristicEnsemble(), { logger: false });
    try {
      await s.app.ready();
      const served = servedRoutes(s.app.printRoutes({ commonPrefix: false }));
      expect(served.size).toBeGreaterThan(0);
      expect(served).toEqual(new Map(routes.map((r) => [r.path, [...r.methods]])));
      expect(ROUTE_METHODS).toEqual(served);
    } finally {
      await s.app.close();
    }
  });

  it('keeps every route it lists unredacted in messages, while server paths become <path>', () => {
    expect(ROUTE_PATHS.size).toBe(routes.length);
    for (const { path } of routes) {
      expect(redactPaths(`ask ${path} instead; see ${path}.`)).toBe(`ask ${path} instead; see ${path}.`);
      expect(answer('INVALID_REQUEST', `post to ${path} with /srv/models/x.onnx`).body.message).toBe(
        `post to ${path} with <path>`,
      );
    }
    // A path that only starts like a route is no route.
    expect(redactPaths('read /v1/detect/secret.json')).toBe('read <path>');
  });

  it('lets the open routes through without the API key and asks it on every other route', async () => {
    const { base } = await startServer(heuristicEnsemble(), { apiKey: 'k3y-for-tests' });
    for (const { path, methods, open } of routes) {
      const method = methods[0]!;
      const r = await fetch(base + path, {
        method,
        ...(method === 'POST' && { headers: { 'content-type': 'application/json' }, body: '{}' }),
      });
      expect({ path, status: r.status === 401 }).toEqual({ path, status: !open });
      expect(OPEN_ROUTES.includes(`GET ${path}`)).toBe(open);
    }
  });
});
