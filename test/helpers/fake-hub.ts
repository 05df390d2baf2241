import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A local stand-in for the Hugging Face Hub, on 127.0.0.1, answering the routes `@huggingface/hub` and botlens
 * call, with the status codes and headers the real hub sends:
 * - `GET /api/models/{id}/revision/{rev}?expand=...` (model info; only the expanded fields when `expand` is given);
 * - `GET /api/models/{id}?securityStatus=true` (model info with `securityRepoStatus`);
 * - `GET /api/models/{id}/tree/{rev}[/{path}]?recursive=&expand=` (file tree);
 * - `HEAD` and `GET /{id}/resolve|raw/{rev}/{path}` with `Range` (`206`, `Content-Range`, `ETag`), `404` with
 *   `X-Error-Code: EntryNotFound` for a missing file;
 * - unknown repos answer `401` `RepoNotFound` without a token (`404` with one), like the hub; gated repos serve
 *   their files only to a granted token (`401` / `403` `GatedRepo` otherwise).
 *
 * Answers come from the JSON fixtures in `test/fixtures/hub/`. Faults (status codes, hangs, bad bodies) can be
 * injected per request to test retries and error handling.
 */

/** One repo as stored in `test/fixtures/hub/*.json`. */
export interface HubFixture {
  id: string;
  info: Record<string, unknown> & { sha: string; gated?: false | 'auto' | 'manual' };
  securityRepoStatus?: unknown;
  tree: TreeEntry[];
  contents: Record<string, unknown>;
  safetensors: Record<string, Record<string, unknown>>;
}

interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** A request the fake hub received. */
export interface RecordedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  range: string | undefined;
  authorization: string | undefined;
}

/** An injected fault: the first requests that match get this answer instead of the normal one. */
export interface HubFault {
  /** Which requests it applies to. */
  match: (req: RecordedRequest) => boolean;
  /** How many matching requests it applies to (default: all). */
  times?: number;
  /** HTTP status to answer with. */
  status?: number;
  /** Body to send (default: a JSON error). */
  body?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** Never answer (to test timeouts). */
  hang?: boolean;
}

/** A running fake hub. */
export interface FakeHub {
  /** Base URL, e.g. `http://127.0.0.1:43123`. Pass it as `hubUrl`. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** The loaded fixtures by repo id. */
  fixtures: Map<string, HubFixture>;
  /** Adds a fault. */
  addFault(fault: HubFault): void;
  /** Removes all faults and forgets the recorded requests. */
  reset(): void;
  /** Stops the server (hanging requests are cut). */
  close(): Promise<void>;
}

/** Options for {@link startFakeHub}. */
export interface FakeHubOptions {
  /** Folder of the fixture JSON files (default `test/fixtures/hub`). */
  fixturesDir?: string;
  /** Tokens granted access to the gated repos (default `['hf_granted_test_token']`). */
  grantedTokens?: readonly string[];
}

/** The token the fake hub grants access to gated repos by default. */
export const GRANTED_TOKEN = 'hf_granted_test_token';

const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/hub');

/** Loads every fixture of a folder. */
export function loadHubFixtures(dir = FIXTURES_DIR): Map<string, HubFixture> {
  const out = new Map<string, HubFixture>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const fx = JSON.parse(readFileSync(join(dir, f), 'utf8')) as HubFixture;
    out.set(fx.id, fx);
  }
  return out;
}

const serialize = (v: unknown): string => (typeof v === 'string' ? v : `${JSON.stringify(v, null, 2)}\n`);

/** The bytes of a file: its content, a safetensors header followed by zeros, or a deterministic pattern. */
function fileSource(fx: HubFixture, path: string, size: number): (start: number, end: number) => Buffer {
  if (path in fx.contents) {
    const buf = Buffer.from(serialize(fx.contents[path]), 'utf8');
    return (s, e) => buf.subarray(s, e);
  }
  const header = fx.safetensors[path];
  if (header) {
    const json = JSON.stringify(header);
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const head = Buffer.alloc(8 + padded.length);
    head.writeBigUInt64LE(BigInt(padded.length), 0);
    head.write(padded, 8, 'utf8');
    return (s, e) => {
      const out = Buffer.alloc(e - s);
      if (s < head.length) head.copy(out, 0, s, Math.min(e, head.length));
      return out;
    };
  }
  return (s, e) => {
    const out = Buffer.alloc(e - s);
    for (let i = s; i < e; i++) out[i - s] = (i * 131 + size) & 0xff;
    return out;
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function hubError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });
}

/**
 * Starts a fake hub on 127.0.0.1 (a free port).
 *
 * @param options - fixture folder and granted tokens
 */
export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const fixtures = loadHubFixtures(options.fixturesDir);
  const granted = new Set(options.grantedTokens ?? [GRANTED_TOKEN]);
  const requests: RecordedRequest[] = [];
  let faults: HubFault[] = [];

  const revisionOk = (fx: HubFixture, rev: string) => rev === 'main' || rev === 'HEAD' || rev === fx.info.sha;

  const repoOr401 = (res: ServerResponse, id: string, token: string | undefined): HubFixture | undefined => {
    const fx = fixtures.get(id);
    if (!fx) {
      if (token) hubError(res, 404, 'RepoNotFound', 'Repository not found');
      else hubError(res, 401, 'RepoNotFound', 'Repository not found');
    }
    return fx;
  };

  const modelInfo = (fx: HubFixture, query: URLSearchParams, res: ServerResponse) => {
    const expand = query.getAll('expand');
    let body: Record<string, unknown> = fx.info;
    if (expand.length > 0) {
      body = { _id: fx.info['_id'], id: fx.info['id'] };
      for (const k of expand) if (k in fx.info) body[k] = fx.info[k];
    }
    if (query.get('securityStatus') === 'true' && fx.securityRepoStatus !== undefined) {
      body = { ...body, securityRepoStatus: fx.securityRepoStatus };
    }
    sendJson(res, 200, body);
  };

  const tree = (fx: HubFixture, sub: string, query: URLSearchParams, res: ServerResponse) => {
    const recursive = query.get('recursive') === 'true';
    const prefix = sub === '' ? '' : `${sub.replace(/\/+$/, '')}/`;
    const entries = fx.tree.filter((e) => {
      if (!e.path.startsWith(prefix) || e.path === sub) return false;
      return recursive || !e.path.slice(prefix.length).includes('/');
    });
    if (sub !== '' && entries.length === 0) {
      hubError(res, 404, 'EntryNotFound', `${sub} does not exist on "main"`);
      return;
    }
    sendJson(res, 200, entries);
  };

  const file = (
    fx: HubFixture,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    token: string | undefined,
  ) => {
    if (fx.info.gated) {
      if (!token) {
        hubError(
          res,
          401,
          'GatedRepo',
          `Access to model ${fx.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        );
        return;
      }
      if (!granted.has(token)) {
        hubError(
          res,
          403,
          'GatedRepo',
          `Access to model ${fx.id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${fx.id} to ask for access.`,
        );
        return;
      }
    }
    const entry = fx.tree.find((e) => e.type === 'file' && e.path === path);
    if (!entry) {
      hubError(res, 404, 'EntryNotFound', `${path} does not exist on "main"`);
      return;
    }
    const size = entry.size;
    const etag = `"${entry.lfs?.oid ?? entry.oid}"`;
    const base: Record<string, string> = {
      ETag: etag,
      'X-Repo-Commit': fx.info.sha,
      'Accept-Ranges': 'bytes',
      'Content-Type':
        path.endsWith('.json') || path.endsWith('.txt')
          ? 'text/plain; charset=utf-8'
          : 'application/octet-stream',
    };
    let start = 0;
    let end = size; // exclusive
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (!m || (m[1] === '' && m[2] === '')) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        res.end();
        return;
      }
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
      }
      if (start >= size || start >= end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        res.end();
        return;
      }
      status = 206;
      base['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
    }
    res.writeHead(status, { ...base, 'Content-Length': String(end - start) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const source = fileSource(fx, path, size);
    const CHUNK = 1 << 20;
    let pos = start;
    const pump = () => {
      while (pos < end) {
        const next = Math.min(end, pos + CHUNK);
        const ok = res.write(source(pos, next));
        pos = next;
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      url: `${url.pathname}${url.search}`,
      range: req.headers.range,
      authorization: auth,
    };
    requests.push(rec);

    const fault = faults.find((f) => (f.times === undefined || f.times > 0) && f.match(rec));
    if (fault) {
      if (fault.times !== undefined) fault.times--;
      if (fault.hang) return;
      const status = fault.status ?? 500;
      const body = fault.body ?? JSON.stringify({ error: `injected ${status}` });
      res.writeHead(status, { 'Content-Type': 'application/json', ...(fault.headers ?? {}) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }

    const path = decodeURIComponent(url.pathname);
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const fx = repoOr401(res, m[1]!, token);
      if (!fx) return;
      if (!revisionOk(fx, m[2]!)) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      return modelInfo(fx, url.searchParams, res);
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)\/?(.*)$/.exec(path);
    if (m && req.method === 'GET') {
      const fx = repoOr401(res, m[1]!, token);
      if (!fx) return;
      if (!revisionOk(fx, m[2]!)) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      return tree(fx, m[3] ?? '', url.searchParams, res);
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const fx = repoOr401(res, m[1]!, token);
      if (!fx) return;
      return modelInfo(fx, url.searchParams, res);
    }
    m = /^\/([^/]+\/[^/]+)\/(?:resolve|raw)\/([^/]+)\/(.+)$/.exec(path);
    if (m && (req.method === 'GET' || req.method === 'HEAD')) {
      const fx = repoOr401(res, m[1]!, token);
      if (!fx) return;
      if (!revisionOk(fx, m[2]!)) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      return file(fx, m[3]!, req, res, token);
    }
    hubError(res, 404, 'NotFound', `no route for ${req.method} ${url.pathname}`);
  });

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fixtures,
    addFault(fault) {
      faults.push(fault);
    },
    reset() {
      faults = [];
      requests.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}
