import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageLoadError } from '../src/errors/image-load-error.js';
import { ClipEncoder } from '../src/runtime/clip-encoder.js';
import { encodeTexts } from '../src/runtime/encode-texts.js';
import { describeImage, isRemoteImage, readImageBytes } from '../src/runtime/image-input.js';
import { acquireModel } from '../src/runtime/load-model.js';
import { cosine } from '../src/runtime/tensor-data.js';
import { describeWithShared, HAS_SHARED, HF_TINY, readGolden } from './helpers/shared.js';
import { maxRowDiff } from './helpers/vectors.js';

interface ClipGolden {
  texts: string[];
  input_ids: number[][];
  images: string[];
  text_embeds: number[][];
  image_embeds: number[][];
  'cosine[image][text]': number[][];
}

describe('image inputs (no model needed)', () => {
  it('describes and classifies inputs', () => {
    expect(describeImage(new Uint8Array(7))).toBe('7 bytes');
    expect(describeImage('data:image/png;base64,AAAA')).toBe('data URL');
    expect(isRemoteImage('https://x.test/a.png')).toBe(true);
    expect(isRemoteImage('./a.png')).toBe(false);
  });

  it('decodes data URLs and refuses remote URLs offline', async () => {
    expect(Array.from(await readImageBytes('data:image/png;base64,AQID'))).toEqual([1, 2, 3]);
    await expect(readImageBytes('https://example.invalid/a.png', { offline: true })).rejects.toSatisfy(
      (e) => ImageLoadError.isInstance(e) && /Offline/.test((e as Error).message),
    );
    await expect(readImageBytes('/definitely/not/here.png')).rejects.toSatisfy(
      (e) => ImageLoadError.isInstance(e) && /ENOENT/.test((e as Error).message),
    );
  });
});

describeWithShared('ClipEncoder on tiny-clip', () => {
  const model = join(HF_TINY, 'tiny-clip');
  const g = readGolden<ClipGolden>('tiny-clip');
  const paths = HAS_SHARED ? g.images.map((f) => join(HF_TINY, f)) : [];
  const made: ClipEncoder[] = [];
  let server: Server;
  let port: number;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/avatar.png')
        res.writeHead(200, { 'content-type': 'image/png' }).end(readFileSync(paths[1]!));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const c of made) await c.dispose();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const make = (o: ConstructorParameters<typeof ClipEncoder>[0] = {}) => {
    const c = new ClipEncoder({ model, ...o });
    made.push(c);
    return c;
  };

  it('tokenizes to the golden ids', async () => {
    const h = await acquireModel('clip', { model, defaultModel: 'x/y' });
    try {
      const rows = encodeTexts(h.tokenizer, g.texts, { maxLength: 77 });
      rows.forEach((r, i) => {
        expect(r.input_ids).toEqual(g.input_ids[i]!.slice(0, r.input_ids.length));
      });
    } finally {
      await h.release();
    }
  });

  it('gives the golden text and image embeddings and cosines (1e-4)', async () => {
    const clip = make({ normalize: false, batchSize: 2 });
    const text = await clip.embedText(g.texts);
    const images = await clip.embedImage(paths);
    expect(maxRowDiff(text, g.text_embeds)).toBeLessThan(1e-4);
    expect(maxRowDiff(images, g.image_embeds)).toBeLessThan(1e-4);
    const cos = g['cosine[image][text]'];
    images.forEach((img, i) => {
      text.forEach((t, j) => {
        expect(Math.abs(cosine(img, t) - cos[i]![j]!)).toBeLessThan(1e-4);
      });
    });
    // normalized by default: dot product = cosine
    const unit = make();
    const [t0] = await unit.embedText([g.texts[0]!]);
    const [i0] = await unit.embedImage([paths[0]!]);
    let dot = 0;
    for (let k = 0; k < t0!.length; k++) dot += t0![k]! * i0![k]!;
    expect(Math.abs(dot - cos[0]![0]!)).toBeLessThan(1e-4);
  });

  it('reads images as paths, file URLs, bytes, data URLs and http URLs, all to the same embedding', async () => {
    const clip = make({ normalize: false });
    const bytes = new Uint8Array(readFileSync(paths[1]!));
    const inputs = [
      paths[1]!,
      pathToFileURL(paths[1]!).href,
      bytes,
      `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`,
      `http://127.0.0.1:${port}/avatar.png`,
    ];
    const out = await clip.embedImage(inputs);
    for (const v of out) expect(maxRowDiff([v], [g.image_embeds[1]!])).toBeLessThan(1e-4);
    expect(requests).toBe(1);
  });

  it('never fetches when offline, and names undecodable images', async () => {
    const clip = make({ offline: true });
    const before = requests;
    await expect(clip.embedImage([`http://127.0.0.1:${port}/avatar.png`])).rejects.toSatisfy((e) =>
      ImageLoadError.isInstance(e),
    );
    expect(requests).toBe(before);
    await expect(clip.embedImage([new Uint8Array([1, 2, 3, 4])])).rejects.toSatisfy(
      (e) => ImageLoadError.isInstance(e) && /not a decodable image/.test((e as Error).message),
    );
    await expect(make().embedImage([`http://127.0.0.1:${port}/missing.png`])).rejects.toSatisfy(
      (e) => ImageLoadError.isInstance(e) && /404/.test((e as Error).message),
    );
  });

  it('truncates long texts to the 77-token CLIP limit', async () => {
    const [v] = await make().embedText(['a photo of a smiling woman '.repeat(40)]);
    expect(v!.every(Number.isFinite)).toBe(true);
  });
});
