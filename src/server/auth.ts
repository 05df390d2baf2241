import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answer, sendAnswer } from './error-table.js';
import { OPEN_ROUTES } from './route-table.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Returns a check of an `Authorization` header against the key. Both sides are hashed first so their lengths
 * match and `timingSafeEqual` compares in constant time: the answer time tells nothing about the key.
 */
export function bearerChecker(apiKey: string): (header: string | undefined) => boolean {
  const expected = digest(apiKey);
  return (header) => {
    // The scheme's name is case-insensitive and may be followed by several spaces (RFC 9110 11.1, RFC 6750 2.1).
    const m = /^bearer +(.+)$/i.exec(header ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), expected);
  };
}

/** True when the route the router matched (its pattern, not the raw URL) is open. */
export function isOpenRoute(method: string, routeUrl: string | undefined): boolean {
  if (routeUrl === undefined) return false;
  return OPEN_ROUTES.includes(`${method === 'HEAD' ? 'GET' : method} ${routeUrl}`);
}

/**
 * Requires `Authorization: Bearer <apiKey>` on every route but {@link OPEN_ROUTES}. The hook runs after routing
 * and looks at the route the router resolved, so percent-encoded paths (`/v%31/detect`) and query strings
 * cannot slip past it.
 */
export function installAuth(app: FastifyInstance, apiKey: string): void {
  const ok = bearerChecker(apiKey);
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (isOpenRoute(req.method, req.routeOptions.url) || ok(req.headers.authorization)) return done();
    sendAnswer(reply, answer('UNAUTHORIZED', 'Send the API key as "Authorization: Bearer <key>".'));
  });
}
