import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import type { Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { type BotlensServer, createServer } from '../../src/server/app.js';
import type { ServerOptions } from '../../src/server/options.js';
import { chat } from '../helpers/transcripts.js';

/** Servers started by {@link startServer}, closed after each test. */
const servers: BotlensServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.app.close();
});

/** Drops a server the test closed itself from the list closed after each test. */
export function forgetServer(s: BotlensServer): void {
  servers.splice(servers.indexOf(s), 1);
}

/** True when the library's `validateTranscript` accepts `input`. */
export function libraryAccepts(input: unknown): boolean {
  try {
    validateTranscript(input);
    return true;
  } catch {
    return false;
  }
}

/** POSTs JSON to a URL. */
export function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The default service's detector: an ensemble of the heuristic detector alone. */
export function heuristicEnsemble(): Detector {
  return new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' });
}

export const sample: Transcript = chat('b', [
  'a: hey, how was your weekend?',
  'b: Hello ! I am fine . How are you ?',
  'a: good, went hiking',
  'b: That is great ! I love hiking too .',
]);

/** Serves `detector` on 127.0.0.1 (a free port), waits for readiness, and returns helpers for real requests. */
export async function startServer(detector: Detector, options: ServerOptions = {}) {
  const s = await createServer(detector, options);
  servers.push(s);
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  await s.ready;
  const { port } = s.app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { s, port, base, post };
}

/** The body of a 400 INVALID_TRANSCRIPT answer (checked to be one). */
export async function invalidTranscriptBody(
  r: Response,
): Promise<{ code: string; message: string; issues: { path: string; message: string }[] }> {
  expect(r.status).toBe(400);
  const e = (await r.json()) as {
    code: string;
    message: string;
    issues: { path: string; message: string }[];
  };
  expect(e.code).toBe('INVALID_TRANSCRIPT');
  return e;
}
