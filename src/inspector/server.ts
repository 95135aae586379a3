/**
 * The web inspector's HTTP server: the page (src/inspector/web, built into dist/inspector/web),
 * a live stream of requests (server-sent events), a JSON API for scripts, replays and downloads.
 *
 * Safety: it listens on 127.0.0.1 only and answers only requests whose Host is its own address
 * (a DNS-rebinding page sees its own host name in Host, and is refused). Replays and curl
 * commands (the requests that sign, or send anything) need the session's token, which only the
 * page holds, and no foreign Origin: a cross-site form can send neither. No secret is ever in a
 * response: records are redacted as in capture files, and requests are signed here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { formatCaptureLine } from '../capture/format.js';
import { toHar } from '../capture/har.js';
import type { Sender } from '../send/http.js';
import { analyze, type DescribeAnswer } from './analysis.js';
import { curlCommand, parseEdits, replayEntry, type ReplayTarget } from './replay.js';
import type { InspectorStore, StoreEvent } from './store.js';

export const DEFAULT_INSPECT_PORT = 4040;
/** How many ports after 4040 are tried before any free port. */
const PORT_TRIES = 20;
const MAX_API_BODY = 1024 * 1024;

export interface InspectorInfo {
  mode: 'dev' | 'files';
  /** dev: the public URL, the app. */
  publicUrl?: string;
  target?: string;
  /** inspect: the files read. */
  files?: string[];
  capture?: string | null;
  /** Requests read but not kept (inspect over a large file), or dropped as the session ran. */
  version?: string;
}

export interface InspectorServerOptions {
  store: InspectorStore;
  info: InspectorInfo;
  /** Port to listen on; undefined tries 4040 and the next ones, then any free port. */
  port?: number;
  /** Ports the automatic choice skips (dev's --listen port). */
  avoid?: number[];
  /** How replays are sent; undefined: replay is off and `replayOff` says why. */
  replay?: ReplayTarget;
  replayOff?: string;
  /** Loads the sender on first use (undici is not loaded for a page nobody replays from). */
  sender?: () => Promise<Sender>;
  /** Replaces the simulator's reading of an answer (tests). */
  describeAnswer?: DescribeAnswer;
  /** Where index.html, app.js and app.css are; default: next to this file, or dist/inspector/web. */
  assetsDir?: string;
}

export interface InspectorServer {
  url: string;
  port: number;
  /** The per-session token state-changing requests need (the page has it). */
  token: string;
  /** dev: replay becomes available once the tunnel is up. */
  setReplay(target: ReplayTarget | undefined, why?: string): void;
  setInfo(info: Partial<InspectorInfo>): void;
  close(): Promise<void>;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const ASSETS: Record<string, { file: string; type: string }> = {
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** The page's files: beside the compiled server (dist/inspector/web), or built ones when run from src. */
export function defaultAssetsDir(): string {
  const beside = fileURLToPath(new URL('./web/', import.meta.url));
  if (existsSync(beside + 'app.js')) return beside;
  return fileURLToPath(new URL('../../dist/inspector/web/', import.meta.url));
}

export async function startInspector(options: InspectorServerOptions): Promise<InspectorServer> {
  const token = randomBytes(24).toString('base64url');
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const assetCache = new Map<string, Buffer>();
  const asset = (file: string): Buffer | undefined => {
    let data = assetCache.get(file);
    if (!data) {
      try {
        data = readFileSync(assetsDir + file);
      } catch {
        return undefined;
      }
      assetCache.set(file, data);
    }
    return data;
  };
  const streams = new Set<ServerResponse>();
  let sender: Promise<Sender> | undefined;
  let describe: Promise<DescribeAnswer> | undefined;
  let port = 0;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: `the inspector failed: ${err.message}` });
      else res.destroy();
    });
  });
  // A page left open must not keep the process alive after the session ends (close() ends streams).
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(
        `twhook inspector: refused, Host ${JSON.stringify(req.headers.host ?? '')} is not this inspector's address; open http://127.0.0.1:${port}/\n`,
      );
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' || method === 'HEAD') {
      if (path === '/' || path === '/index.html') return sendPage(res);
      const file = ASSETS[path];
      if (file) {
        const data = asset(file.file);
        if (!data) return sendJson(res, 404, { error: `${file.file} is missing: run npm run build` });
        res.writeHead(200, {
          'Content-Type': file.type,
          'Content-Length': data.length,
          'Cache-Control': 'no-cache',
          ...SECURITY_HEADERS,
        });
        res.end(method === 'HEAD' ? undefined : data);
        return;
      }
      if (path === '/api/session') return sendJson(res, 200, sessionInfo());
      if (path === '/api/requests') {
        return sendJson(res, 200, {
          requests: options.store.list().map((e) => e.summary),
          dropped: options.store.dropped,
          keep: options.store.keep,
        });
      }
      if (path === '/api/events') return openStream(req, res);
      if (path === '/api/download.jsonl') {
        const body = options.store
          .list()
          .map((e) => formatCaptureLine(e.record))
          .join('');
        return sendDownload(res, body, 'application/x-ndjson; charset=utf-8', 'twhook-session.jsonl');
      }
      if (path === '/api/download.har') {
        const body = JSON.stringify(
          toHar(
            options.store.list().map((e) => e.record),
            options.info.version ?? '0.0.0',
          ),
          null,
          2,
        );
        return sendDownload(res, body, 'application/json; charset=utf-8', 'twhook-session.har');
      }
      const m = /^\/api\/requests\/([^/]+)(\/detail)?$/.exec(path);
      if (m) {
        const entry = options.store.get(decodeURIComponent(m[1]!));
        if (!entry)
          return sendJson(res, 404, {
            error: `no request ${m[1]} in memory (the inspector keeps the last ${options.store.keep})`,
          });
        if (!m[2]) return sendJson(res, 200, entry.record);
        describe ??= options.describeAnswer
          ? Promise.resolve(options.describeAnswer)
          : import('../simulate/describe.js').then((m) => m.describeAnswer as DescribeAnswer);
        return sendJson(res, 200, analyze(entry, { describeAnswer: await describe }));
      }
      return sendJson(res, 404, { error: `no such page: ${path}` });
    }

    if (method === 'POST') {
      const m = /^\/api\/requests\/([^/]+)\/(replay|curl)$/.exec(path);
      if (!m) return sendJson(res, 404, { error: `no such endpoint: POST ${path}` });
      const refusal = checkStateChange(req);
      if (refusal) return sendJson(res, 403, { error: refusal });
      const entry = options.store.get(decodeURIComponent(m[1]!));
      if (!entry)
        return sendJson(res, 404, {
          error: `no request ${m[1]} in memory (the inspector keeps the last ${options.store.keep})`,
        });
      if (!options.replay) return sendJson(res, 409, { error: options.replayOff ?? 'replay is not available' });
      let edits;
      try {
        const text = await readBody(req);
        edits = parseEdits(text.trim() ? JSON.parse(text) : undefined);
      } catch (err) {
        return sendJson(res, 400, { error: `bad request body: ${(err as Error).message}` });
      }
      if (m[2] === 'curl') return sendJson(res, 200, curlCommand(entry, options.replay, edits));
      if (!options.sender) return sendJson(res, 409, { error: 'replay is not available' });
      sender ??= options.sender();
      return sendJson(res, 200, await replayEntry(entry, options.replay, edits, await sender));
    }
    res.setHeader('Allow', 'GET, HEAD, POST');
    return sendJson(res, 405, { error: `${method} is not allowed` });
  }

  /** Why a state-changing request is refused, or undefined. */
  function checkStateChange(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    // Browsers send Origin with every POST; a script (curl) sends none and needs the token alone.
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase()))
      return `refused: Origin ${origin} is not this inspector`;
    const given = req.headers['x-twhook-token'];
    if (typeof given !== 'string' || given !== token)
      return 'refused: missing or wrong X-Twhook-Token (the page has it in <meta name="twhook-token">)';
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? 'application/json'))
      return 'refused: send the body as application/json';
    return undefined;
  }

  function sessionInfo() {
    return {
      ...options.info,
      keep: options.store.keep,
      dropped: options.store.dropped,
      replay: options.replay
        ? { available: true, to: options.replay.label, signed: !!options.replay.authToken }
        : { available: false, why: options.replayOff ?? 'replay is not available' },
    };
  }

  function sendPage(res: ServerResponse): void {
    const template = asset('index.html');
    if (!template) return sendJson(res, 500, { error: 'the inspector page is missing: run npm run build' });
    const html = template.toString('utf8').replace('{{TOKEN}}', token);
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      ...SECURITY_HEADERS,
    });
    res.end(html);
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    // The whole list first, in the same stream: nothing can fall between a fetch and a subscription.
    write(res, 'snapshot', { requests: options.store.list().map((e) => e.summary), session: sessionInfo() });
    streams.add(res);
    const unsubscribe = options.store.subscribe((event: StoreEvent) => {
      if (event.type === 'request') write(res, 'request', event.request);
      else write(res, 'dropped', { dropped: event.dropped });
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', end);
    res.on('error', end);
  }

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(p, '127.0.0.1');
    });

  if (options.port !== undefined) {
    port = await listen(options.port);
  } else {
    let bound: number | undefined;
    for (let p = DEFAULT_INSPECT_PORT; p < DEFAULT_INSPECT_PORT + PORT_TRIES && bound === undefined; p++) {
      if (options.avoid?.includes(p)) continue;
      bound = await listen(p).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES') return undefined;
        throw err;
      });
    }
    port = bound ?? (await listen(0));
  }
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    setReplay(target, why) {
      options.replay = target;
      if (why) options.replayOff = why;
    },
    setInfo(info) {
      options.info = { ...options.info, ...info };
    },
    async close() {
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (sender) await (await sender).close().catch(() => undefined);
    },
  };
}

function write(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(body);
}

function sendDownload(res: ServerResponse, body: string, type: string, name: string): void {
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Content-Disposition': `attachment; filename="${name}"`,
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_API_BODY) {
        reject(new Error('over 1 MiB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
