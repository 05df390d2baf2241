import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { scored } from '../../src/core/detection.js';
import type { DetectOptions, Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { startService } from '../../src/server/serve.js';
import { sample, startServer } from './start-server.js';

/** Takes `ms` to answer and ignores its abort signal, like a detector stuck in native code. */
function stubborn(ms: number): Detector {
  return {
    name: 'stubborn',
    async detect(t: Transcript) {
      if (t.messages.length > 2) await new Promise((r) => setTimeout(r, ms));
      return scored('stubborn', 0.5, 0.5, [], performance.now());
    },
  };
}

/** Burns `ms` of CPU synchronously per call (the warm-up, with 2 messages, is free). */
function cpuBound(ms: number): Detector {
  return {
    name: 'cpu',
    async detect(t: Transcript) {
      if (t.messages.length > 2) {
        const end = performance.now() + ms;
        while (performance.now() < end) {}
      }
      return scored('cpu', 0.5, 0.5, [], performance.now());
    },
  };
}

/** Opens a raw socket and sends `head` (request line and headers), then nothing. */
function stall(
  port: number,
  head: string,
): Promise<{ socket: Socket; answer: Promise<{ ms: number; text: string }> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      const t0 = performance.now();
      socket.write(head);
      let text = '';
      socket.setEncoding('utf8').on('data', (s: string) => {
        text += s;
      });
      const answer = new Promise<{ ms: number; text: string }>((r) =>
        socket.on('close', () => r({ ms: performance.now() - t0, text })),
      );
      resolve({ socket, answer });
    });
  });
}

/** Probes the URL every 20 ms for 800 ms after a 300 ms start, over one keep-alive connection; prints the times. */
const PROBE = `
const url = process.argv[1];
const times = [];
(async () => {
  await fetch(url);
  await new Promise((r) => setTimeout(r, 300));
  const end = performance.now() + 800;
  while (performance.now() < end) {
    const t0 = performance.now();
    await (await fetch(url)).text();
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(JSON.stringify(times));
})();
`;

/**
 * Prints "ready", then 200 ms later opens `n` new connections at once (no keep-alive) to the URL and prints each
 * answer's time: each needs the server to accept a connection.
 */
const ACCEPT_PROBE = `
const http = require('node:http');
const [url, n] = process.argv.slice(1);
console.log('ready');
setTimeout(async () => {
  const one = () => new Promise((resolve) => {
    const t0 = performance.now();
    http.get(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - t0)); })
      .on('error', () => resolve(Infinity));
  });
  console.log(JSON.stringify(await Promise.all(Array.from({ length: Number(n) }, one))));
}, 200);
`;

/** A 200-message transcript of about 600 KB, over the size from which the service checks its client is there. */
const bigBody = JSON.stringify({
  target: 'b',
  messages: Array.from({ length: 200 }, (_, i) => ({
    speaker: i % 2 ? 'b' : 'a',
    text: 'Hello ! I am fine , thank you . What do you do for fun ? '.repeat(50),
  })),
});

const head = (len: number) =>
  `POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;

describe('overload and slow clients', () => {
  it('counts the deadline from arrival, queue wait included', async () => {
    const { s, post } = await startServer(stubborn(1500), {
      maxConcurrent: 1,
      maxQueued: 10,
      timeoutMs: 300,
    });
    const t0 = performance.now();
    const answers = await Promise.all(
      [1, 2, 3].map(async () => {
        const r = await post('/v1/detect', sample);
        return {
          status: r.status,
          ms: performance.now() - t0,
          code: ((await r.json()) as { code: string }).code,
        };
      }),
    );
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.code).toBe('TIMEOUT');
      expect(a.ms).toBeLessThan(300 + 700); // before: the queued ones waited for the slot, then 300 ms more
    }
    const metrics = await s.metrics.registry.getSingleMetricAsString('botlens_requests_in_flight');
    expect(metrics).toMatch(/state="queued"\} 0/);
  });

  it('refuses at once with 429 and Retry-After when the request bytes in flight pass the bound', async () => {
    const { port, post } = await startServer(stubborn(0), { bodyLimit: 1500, maxBytesInFlight: 1600 });
    const hog = await stall(port, head(1500));
    try {
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      const r = await post('/v1/detect', sample);
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(((await r.json()) as { code: string }).code).toBe('QUEUE_FULL');
      expect(performance.now() - t0).toBeLessThan(500);
    } finally {
      hog.socket.destroy();
    }
    await hog.answer;
    await new Promise((r) => setTimeout(r, 50));
    expect((await post('/v1/detect', sample)).status).toBe(200);
  });

  it('cancels the work of a client that disconnected', async () => {
    let aborted: (reason: unknown) => void;
    const seen = new Promise<unknown>((r) => {
      aborted = r;
    });
    const watcher: Detector = {
      name: 'watcher',
      async detect(t: Transcript, opts?: DetectOptions) {
        if (t.messages.length > 2) {
          opts?.signal?.addEventListener('abort', () => aborted(opts.signal?.reason));
          await new Promise((r) => setTimeout(r, 3000));
        }
        return scored('watcher', 0.5, 0.5, [], performance.now());
      },
    };
    const { s, base } = await startServer(watcher, { timeoutMs: 10_000 });
    const ac = new AbortController();
    const pending = fetch(`${base}/v1/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sample),
      signal: ac.signal,
    }).catch(() => 'client gave up');
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    ac.abort();
    expect(await pending).toBe('client gave up');
    const reason = await Promise.race([seen, new Promise((r) => setTimeout(() => r('not aborted'), 1000))]);
    expect(String(reason)).toMatch(/client disconnected/);
    expect(performance.now() - t0).toBeLessThan(1000);
    const metrics = await s.metrics.registry.getSingleMetricAsString('botlens_requests_in_flight');
    expect(metrics).toMatch(/state="open"\} 0/);
  });

  it('keeps /healthz under 100 ms while CPU-bound detections queue up', async () => {
    const { base, post } = await startServer(cpuBound(10), { maxConcurrent: 4, maxQueued: 64 });
    // the probe runs in its own process: a client sharing the server's event loop would measure itself
    const probe = spawn(process.execPath, ['-e', PROBE, `${base}/healthz`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    probe.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    const probed = new Promise((r) => probe.on('exit', r));
    await new Promise((r) => setTimeout(r, 300)); // the probe has started and made its connection
    const load = Promise.all(
      Array.from({ length: 40 }, () => post('/v1/detect', sample).then((r) => r.status)),
    );
    await probed;
    expect((await load).every((s) => s === 200)).toBe(true);
    const probes = JSON.parse(out) as number[];
    expect(probes.length).toBeGreaterThan(5);
    // before: detections ran back to back in one event-loop turn (a slot freed starts the next one at once), so
    // a probe waited for many of them. The median, not the max: two cores shared with other work add noise.
    const median = probes.sort((a, b) => a - b)[Math.floor(probes.length / 2)]!;
    expect(median).toBeLessThan(100);
  });

  it('answers 408 or disconnects a client that stalls mid-body (raw socket)', async () => {
    const { port } = await startServer(stubborn(0), { requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
    const { answer } = await stall(port, `${head(50)}{"messages":`);
    const { ms, text } = await answer;
    expect(ms).toBeLessThan(1500 + 1500);
    if (text) expect(text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('does so within 30 s with the default settings', async () => {
    const { port } = await startServer(stubborn(0));
    const { answer } = await stall(port, head(50));
    const { ms } = await answer;
    expect(ms).toBeLessThan(30_000);
  }, 40_000);
});

describe('clients that went away and connections that wait', () => {
  it('does no work for clients that sent a large body and disconnected (raw sockets)', async () => {
    let detections = 0;
    const counting: Detector = {
      name: 'counting',
      async detect(t: Transcript) {
        if (t.messages.length > 2) detections++;
        return scored('counting', 0.5, 0.5, [], performance.now());
      },
    };
    const { s, port } = await startServer(counting, { maxConcurrent: 1, bodyLimit: 1 << 20 });
    const request = head(Buffer.byteLength(bigBody)) + bigBody;
    // Each client sends its whole request and closes the connection at once, like a load generator that stops.
    await Promise.all(
      Array.from(
        { length: 12 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
              socket.end(request, () => {
                socket.destroy();
                resolve();
              });
            });
            socket.on('error', () => resolve());
          }),
      ),
    );
    const t0 = performance.now();
    const working = async () => {
      const text = await s.metrics.registry.getSingleMetricAsString('botlens_requests_in_flight');
      let n = 0;
      for (const m of text.matchAll(/state="(running|queued|receiving)"\} (\d+)/g)) n += Number(m[2]);
      return n;
    };
    await new Promise((r) => setTimeout(r, 100));
    while ((await working()) > 0 && performance.now() - t0 < 1000)
      await new Promise((r) => setTimeout(r, 20));
    expect(await working()).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(detections).toBe(0);
    // before: every body was parsed and validated, and took a detection slot, for a client that was gone
    const errors = await s.metrics.registry.getSingleMetricAsString('botlens_errors_total');
    expect(errors).toMatch(/kind="disconnected"\} ([1-9]\d*)/);
  });

  it('accepts new connections promptly while CPU-bound detections keep the thread busy', async () => {
    const { base } = await startServer(cpuBound(25), { maxConcurrent: 2, maxQueued: 64 });
    const probe = spawn(process.execPath, ['-e', ACCEPT_PROBE, `${base}/healthz`, '30'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const ready = new Promise<void>((resolve) =>
      probe.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        if (out.startsWith('ready\n')) resolve();
      }),
    );
    const probed = new Promise((r) => probe.on('exit', r));
    await ready;
    // 50 detections of 25 ms over 4 keep-alive connections: about 1.25 s of work in the server's thread, under
    // way when the probe connects
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const body = JSON.stringify(sample);
    const postOnAgent = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${base}/v1/detect`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const load = Promise.all(Array.from({ length: 50 }, postOnAgent));
    await probed;
    expect((await load).every((st) => st === 200)).toBe(true);
    agent.destroy();
    const times = (JSON.parse(out.slice('ready\n'.length)) as number[]).sort((a, b) => a - b);
    // before: Node accepts one connection per event-loop turn and each turn ran a 25 ms detection, so the
    // 30th connection waited about 30 x 25 ms
    expect(times.at(-1)!).toBeLessThan(500);
  });
});

/**
 * Prints "ready", then opens `n` connections to 127.0.0.1:port, writes a request with a large body on each, and
 * 500 ms later closes them all and exits, like a load generator that stops.
 */
const ABANDON = `
const net = require('node:net');
const [port, n, bytes] = process.argv.slice(1).map(Number);
const body = JSON.stringify({ target: 'b', messages: [{ speaker: 'b', text: 'x'.repeat(bytes) }] });
const request = 'POST /v1/detect HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\n' +
  'Content-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body;
console.log('ready');
setTimeout(() => {
  const sockets = Array.from({ length: n }, () => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    s.on('error', () => {});
    return s;
  });
  setTimeout(() => { for (const s of sockets) s.destroy(); process.exit(0); }, 500);
}, 50);
`;

describe('a burst of abandoned connections in the listen queue', () => {
  it('leaves little to read after the burst: nothing runs 1 s later (default service, raw sockets)', async () => {
    const { server, url } = await startService({}, { port: 0, handleSignals: false });
    try {
      const port = Number(new URL(url).port);
      const clients = spawn(process.execPath, ['-e', ABANDON, String(port), '100', String(600_000)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => clients.stdout.once('data', () => resolve()));
      // The service's thread is busy (as with CPU-bound detections) while the clients connect, send and go:
      // the kernel holds their connections, with their bodies, in the listen queue.
      const end = performance.now() + 1500;
      while (performance.now() < end) {}
      await new Promise((r) => clients.on('exit', r));
      const t0 = performance.now();
      const metric = (name: string) => server.metrics.registry.getSingleMetricAsString(name);
      const working = async () => {
        let n = 0;
        for (const m of (await metric('botlens_requests_in_flight')).matchAll(
          /state="(running|queued|receiving)"\} (\d+)/g,
        ))
          n += Number(m[2]);
        return n;
      };
      await new Promise((r) => setTimeout(r, 100));
      while ((await working()) > 0 && performance.now() - t0 < 3000)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // the last connections of the queue
      const read = Number(/kind="disconnected"\} (\d+)/.exec(await metric('botlens_errors_total'))?.[1] ?? 0);
      // before: a listen backlog of 128 held all 100 connections, and each 600 KB body was read (and dropped)
      // one connection per event-loop turn, for seconds on a busy host
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThanOrEqual(40);
      expect(await working()).toBe(0);
      expect(performance.now() - t0).toBeLessThan(1000 + 200);
    } finally {
      await server.app.close();
    }
  });
});

describe('the deadline covers a body that arrives too slowly', () => {
  it('answers 503 at the deadline while the body is still arriving', async () => {
    const { port } = await startServer(stubborn(0), { timeoutMs: 400, requestTimeoutMs: 20_000 });
    const { answer } = await stall(
      port,
      'POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"messages":',
    );
    const { ms, text } = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 503/);
    expect(text).toMatch(/"code":"TIMEOUT"/);
    expect(ms).toBeLessThan(400 + 1000);
  });
});
