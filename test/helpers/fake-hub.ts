import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach } from 'vitest';

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
 *
 * Like the hub, the tree lists an LFS file's SHA-256 as `lfs.oid` (and sends it as the `ETag`): for files up to
 * {@link HASHED_FILE_LIMIT} bytes it is the digest of the bytes the fake hub serves; larger fixtures keep the
 * recorded oid (they are listed, never downloaded, in tests). {@link FakeHub.tamper} serves altered bytes for one
 * file under the same listing, as a corrupted or tampered download would arrive.
 */

/** One repo as stored in `test/fixtures/hub/*.json`. */
export interface HubFixture {
  id: string;
  info: Record<string, unknown> & { sha: string; gated?: false | 'auto' | 'manual' };
  securityRepoStatus?: unknown;
  tree: TreeEntry[];
  contents: Record<string, unknown>;
  safetensors: Record<string, Record<string, unknown>>;
  /** Files served from disk, by repo path (the repos of {@link FakeHubOptions.folders}). */
  disk?: Record<string, string>;
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
  /**
   * Serves `path` of repo `id` with its first byte flipped from now on (size, listing and ETag unchanged), until
   * {@link FakeHub.reset}.
   */
  tamper(id: string, path: string): void;
  /** Removes all faults and tampering and forgets the recorded requests. */
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
  /**
   * Serve any revision name as `main`, as a careless or hostile mirror (`HF_ENDPOINT`) might: for tests that the
   * client itself refuses revisions such as `../../x`.
   */
  acceptAnyRevision?: boolean;
  /**
   * Real model folders to serve as repos, by repo id (e.g. `{ 'test-org/tiny-bert': '<shared>/hf-tiny/tiny-bert' }`):
   * every file of the folder is listed and served byte for byte, `.onnx` files as LFS files with their SHA-256.
   */
  folders?: Readonly<Record<string, string>>;
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

/** A repo made of a real folder's files (see {@link FakeHubOptions.folders}). */
function folderFixture(id: string, dir: string): HubFixture {
  const tree: TreeEntry[] = [];
  const disk: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub === '' ? e.name : `${sub}/${e.name}`;
      if (e.isDirectory()) {
        tree.push({ type: 'directory', oid: '0'.repeat(40), size: 0, path });
        walk(path);
        continue;
      }
      const bytes = readFileSync(join(dir, path));
      const oid = createHash('sha1').update(bytes).digest('hex');
      disk[path] = join(dir, path);
      tree.push({
        type: 'file',
        oid,
        size: bytes.length,
        path,
        ...(path.endsWith('.onnx') && { lfs: { oid: '', size: bytes.length, pointerSize: 134 } }),
      });
    }
  };
  walk('');
  return {
    id,
    info: { _id: id, id, sha: '0123456789abcdef0123456789abcdef01234567', gated: false },
    tree,
    contents: {},
    safetensors: {},
    disk,
  };
}

/** LFS files up to this size get the SHA-256 of the served bytes as `lfs.oid`. */
export const HASHED_FILE_LIMIT = 8 * 1024 * 1024;

const serialize = (v: unknown): string => (typeof v === 'string' ? v : `${JSON.stringify(v, null, 2)}\n`);

/** The bytes of a file: its content, a safetensors header followed by zeros, or a deterministic pattern. */
function fileSource(fx: HubFixture, path: string, size: number): (start: number, end: number) => Buffer {
  const onDisk = fx.disk?.[path];
  if (onDisk !== undefined) {
    const buf = readFileSync(onDisk);
    return (s, e) => buf.subarray(s, e);
  }
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
  for (const [id, dir] of Object.entries(options.folders ?? {})) fixtures.set(id, folderFixture(id, dir));
  const granted = new Set(options.grantedTokens ?? [GRANTED_TOKEN]);
  const requests: RecordedRequest[] = [];
  let faults: HubFault[] = [];
  const tampered = new Set<string>();
  // The hub's lfs.oid is the SHA-256 of the file: make the fixtures' oids agree with the bytes served here.
  for (const fx of fixtures.values()) {
    for (const e of fx.tree) {
      if (e.type === 'file' && e.lfs && e.size <= HASHED_FILE_LIMIT) {
        e.lfs.oid = createHash('sha256')
          .update(fileSource(fx, e.path, e.size)(0, e.size))
          .digest('hex');
      }
    }
  }

  const revisionOk = (fx: HubFixture, rev: string) =>
    options.acceptAnyRevision === true || rev === 'main' || rev === 'HEAD' || rev === fx.info.sha;

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
    const plain = fileSource(fx, path, size);
    const source = tampered.has(`${fx.id}\0${path}`)
      ? (s: number, e: number) => {
          const out = Buffer.from(plain(s, e));
          if (s === 0 && out.length > 0) out[0] = out[0]! ^ 0xff;
          return out;
        }
      : plain;
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

    // Route on the raw path and decode each captured part, so an encoded "/" inside a revision stays one part.
    const path = url.pathname;
    const dec = (v: string | undefined) => decodeURIComponent(v ?? '');
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const fx = repoOr401(res, dec(m[1]), token);
      if (!fx) return;
      if (!revisionOk(fx, dec(m[2])))
        return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${dec(m[2])}`);
      return modelInfo(fx, url.searchParams, res);
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)\/?(.*)$/.exec(path);
    if (m && req.method === 'GET') {
      const fx = repoOr401(res, dec(m[1]), token);
      if (!fx) return;
      if (!revisionOk(fx, dec(m[2])))
        return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${dec(m[2])}`);
      return tree(fx, dec(m[3]), url.searchParams, res);
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const fx = repoOr401(res, dec(m[1]), token);
      if (!fx) return;
      return modelInfo(fx, url.searchParams, res);
    }
    m = /^\/([^/]+\/[^/]+)\/(?:resolve|raw)\/([^/]+)\/(.+)$/.exec(path);
    if (m && (req.method === 'GET' || req.method === 'HEAD')) {
      const fx = repoOr401(res, dec(m[1]), token);
      if (!fx) return;
      if (!revisionOk(fx, dec(m[2])))
        return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${dec(m[2])}`);
      return file(fx, dec(m[3]), req, res, token);
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
    tamper(id, path) {
      tampered.add(`${id}\0${path}`);
    },
    reset() {
      faults = [];
      tampered.clear();
      requests.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

/** Options for {@link useFakeHub}. */
export interface UseFakeHubOptions extends FakeHubOptions {
  /** Environment variables cleared while the file's tests run and restored after (default `['HF_TOKEN']`). */
  clearEnv?: readonly string[];
}

/**
 * Starts a fake hub before the file's tests and closes it after, with the hub's environment variables cleared
 * meanwhile (so a developer's token or mirror cannot leak in), and resets it before each test.
 *
 * @param options - the hub's options and the variables to clear
 * @returns the running hub (read its members inside tests or hooks, once it has started)
 */
export function useFakeHub(options: UseFakeHubOptions = {}): FakeHub {
  const { clearEnv = ['HF_TOKEN'], ...hubOptions } = options;
  const saved = new Map(clearEnv.map((k) => [k, process.env[k]]));
  let hub: FakeHub | undefined;
  beforeAll(async () => {
    for (const k of clearEnv) delete process.env[k];
    hub = await startFakeHub(hubOptions);
  });
  afterAll(async () => {
    await hub?.close();
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  });
  beforeEach(() => hub?.reset());
  const started = (): FakeHub => {
    if (!hub) throw new Error('the fake hub is read before it started: use it inside a test or hook');
    return hub;
  };
  return new Proxy({} as FakeHub, {
    get(_target, key) {
      const value: unknown = Reflect.get(started(), key);
      return typeof value === 'function' ? value.bind(started()) : value;
    },
  });
}
