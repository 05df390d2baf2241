import { connect } from 'node:net';
import { it, expect } from 'vitest';
import { scored } from '../../src/core/detection.js';
import type { Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { startServer } from '../../test/server/start-server.js';

const bigBody = JSON.stringify({ target: 'b', messages: Array.from({ length: 200 }, (_, i) => ({ speaker: i % 2 ? 'b' : 'a', text: 'Hello ! I am fine , thank you . What do you do for fun ? '.repeat(50) })) });
const head = (len: number) => `POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;

it('half-close while queued', async () => {
  let detections = 0;
  const slow: Detector = { name: 'slow', async detect(t: Transcript) {
    if (t.messages.length > 2) { detections++; const end = performance.now() + 100; while (performance.now() < end) {} }
    return scored('slow', 0.5, 0.5, [], performance.now()); } };
  const { s, port } = await startServer(slow, { maxConcurrent: 1, maxQueued: 64, bodyLimit: 1 << 20 });
  const request = head(Buffer.byteLength(bigBody)) + bigBody;
  const mode = process.env.XMODE ?? 'end';
  const socks = await Promise.all(Array.from({ length: 10 }, () => new Promise<any>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request, () => resolve(socket));
    });
    socket.on('error', () => {});
    socket.on('data', () => {});
  })));
  await new Promise((r) => setTimeout(r, 150));
  console.log('before close: detections', detections);
  for (const sk of socks) { if (mode === 'end') sk.end(); else sk.destroy(); }
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 1000));
  const text = await s.metrics.registry.getSingleMetricAsString('botlens_requests_in_flight');
  console.log(mode, 'detections', detections, text);
});
