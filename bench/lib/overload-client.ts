/**
 * The load side of bench/serve-overload.ts, run in its own process so the load generator shares no event loop
 * with the server or the /healthz probe. POSTs one body file to a URL over many connections for a while and
 * prints one JSON line: answers by status, latency of the 2xx answers, the worst time to any answer, and how
 * many requests got no answer within the client timeout.
 *
 *   node --import tsx bench/lib/overload-client.ts URL BODY_FILE CONNECTIONS DURATION_S TIMEOUT_S
 */
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// autocannon ships no types; this is the part used here.
const autocannon = createRequire(import.meta.url)('autocannon') as (
  opts: Record<string, unknown>,
) => EventEmitter;

const [url, bodyFile, connections, duration, timeout] = process.argv.slice(2);
const body = readFileSync(bodyFile!);
const byStatus: Record<string, number> = {};
const accepted: number[] = [];
let worst = 0;

const instance = autocannon({
  url: url!,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections: Number(connections),
  duration: Number(duration),
  timeout: Number(timeout),
});
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  byStatus[status] = (byStatus[status] ?? 0) + 1;
  if (status >= 200 && status < 300) accepted.push(ms);
  if (ms > worst) worst = ms;
});
instance.on('done', (r: { timeouts: number; errors: number; duration: number }) => {
  accepted.sort((a, b) => a - b);
  const q = (p: number) =>
    accepted.length ? accepted[Math.min(accepted.length - 1, Math.floor(p * accepted.length))]! : null;
  console.log(
    JSON.stringify({
      byStatus,
      acceptedPerS: accepted.length / r.duration,
      p50: q(0.5),
      p99: q(0.99),
      worstMs: worst,
      timeouts: r.timeouts,
      errors: r.errors,
    }),
  );
});
