/**
 * A stateful fake of Twilio's REST API on 127.0.0.1, for integration tests and `twhook demo`.
 * node:http only. It authenticates like Twilio (Basic: AccountSid:AuthToken or ApiKey:Secret),
 * answers with Twilio's JSON (errors as `{code, message, more_info, status}`), records every
 * request, and injects faults (a status, a delay, a dropped connection) on the Nth matching one.
 *
 * ## Adding a route module (Messaging Services, Event Streams, ...)
 *
 * 1. Create `src/emulator/routes/<name>.ts` exporting `register(router, state, options)`:
 *
 *    ```ts
 *    import type { RouteModule } from '../server.js';
 *    import { ApiError, notFound, pageV1, formValue, rejectUnknownParams } from '../http.js'; // + '../paging.js'
 *
 *    export interface SinksState { sinks: Map<string, Sink> }
 *    // Typed state and seed options live with the module, merged into the shared interfaces:
 *    declare module '../server.js' {
 *      interface EmulatorState { events: SinksState }
 *      interface EmulatorOptions { sinks?: Partial<Sink>[] }
 *    }
 *
 *    export const register: RouteModule['register'] = (router, state, options) => {
 *      state.events = { sinks: new Map() };           // seed from options.sinks here
 *      router.get('/v1/Sinks', (req) => ({
 *        status: 200,
 *        body: pageV1(req, [...state.events.sinks.values()], 'sinks'),
 *      }));
 *      router.get('/v1/Sinks/{Sid}', (req) => { ...; throw notFound(req.path); });
 *    };
 *    ```
 *
 * 2. Add ONE line to `ROUTE_MODULES` below: `() => import('./routes/<name>.js'),`.
 *
 * Patterns use twilio-oai's path syntax (`{Sid}` matches one segment). Every route requires
 * Basic auth unless registered with `{ auth: false }`; a `{AccountSid}` placeholder must be the
 * authenticated account. Handlers return `{status, body, headers?}` or throw `ApiError` (see
 * http.ts: `twilioError`, `notFound`, `rejectUnknownParams`, `formValue(s)`); paging.ts has
 * both of Twilio's list shapes (`page2010` for api.twilio.com, `pageV1` for the v1 hosts).
 * Requests reach handlers with `form` (ordered pairs) and `json` (for application/json bodies).
 * Tests read and change state through `emulator.state.<module>`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError, Router, twilioError, type EmuRequest, type EmuResponse } from './http.js';

/** Route modules, loaded in order. One line each. */
const ROUTE_MODULES: Array<() => Promise<RouteModule>> = [
  () => import('./routes/api2010.js'),
  () => import('./routes/eventstreams.js'),
  () => import('./routes/messaging.js'),
];

export interface RouteModule {
  register(router: Router, state: EmulatorState, options: EmulatorOptions): void;
}

export interface ApiKeySeed {
  sid: string;
  secret: string;
}

/** Seed options; route modules add their own fields (see the header). */
export interface EmulatorOptions {
  /** Default: a random valid AC SID. */
  accountSid?: string;
  /** Default: 32 random hex digits. */
  authToken?: string;
  /** API keys valid for the account, in addition to the auth token. */
  apiKeys?: ApiKeySeed[];
  friendlyName?: string;
  /** Port to listen on (default 0: a free one). Always 127.0.0.1. */
  port?: number;
  /** The clock for date_created/date_updated. */
  now?: () => Date;
  /**
   * The account's Twilio region (ie1, au1…). Like Twilio, whose regions keep their own credentials,
   * the emulator then refuses them (401, 20003) unless the request was meant for a host of that
   * region: the X-Forwarded-Host twhook's client sends with --api-url, e.g. api.dublin.ie1.twilio.com.
   */
  region?: string;
}

/** Shared state; each route module adds a typed sub-object (see the header). */
export interface EmulatorState {
  accountSid: string;
  authToken: string;
  accountFriendlyName: string;
  /** API key SID -> secret. */
  apiKeys: Map<string, string>;
  now(): Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query parameters in order. */
  query: [string, string][];
  /** Form parameters in order (empty for other bodies). */
  form: [string, string][];
  /** The parsed JSON body, when the request had one. */
  json?: unknown;
  headers: IncomingHttpHeaders;
  /** The Basic auth user (account or API key SID), whether or not it was valid. */
  authUser?: string;
  /** Status sent back; undefined when the connection was dropped by a fault. */
  status?: number;
}

export interface FaultSpec {
  /** GET, POST...; any method when absent. */
  method?: string;
  /** An exact path, a glob (`*` within a segment, `**` across segments), or a RegExp on the path. */
  path: string | RegExp;
  /** The first matching request (1-based) the fault hits. Default 1. */
  nth?: number;
  /** How many consecutive matching requests it hits from the nth. Default 1; Infinity = every one. */
  times?: number;
  /** Answer with this status (default body: Twilio's error JSON with code 20000+status). */
  status?: number;
  body?: unknown;
  /** Retry-After header value (seconds). */
  retryAfter?: number | string;
  headers?: Record<string, string>;
  /** Wait this long before answering (with `status`, or normally when no status is given). */
  delayMs?: number;
  /** Destroy the socket without an answer. */
  drop?: boolean;
}

export interface Fault {
  readonly spec: FaultSpec;
  /** Matching requests seen since the fault was added. */
  readonly seen: number;
  /** Requests it actually hit. */
  readonly hits: number;
}

export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:53211 (no trailing slash). */
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly state: EmulatorState;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  fault(spec: FaultSpec): Fault;
  clearFaults(): void;
  clearRequests(): void;
  close(): Promise<void>;
}

import { randomHex, randomSid } from './ids.js';
export { randomHex, randomSid };

function pathMatcher(path: string | RegExp): (p: string) => boolean {
  if (path instanceof RegExp) return (p) => path.test(p);
  if (!path.includes('*')) return (p) => p === path;
  const source = path
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`);
  return (p) => re.test(p);
}

interface ActiveFault extends Fault {
  seen: number;
  hits: number;
  matches(method: string, path: string): boolean;
}

function parseBasic(header: string | undefined): { user: string; pass: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

function decodePath(raw: string): string {
  return raw
    .split('/')
    .map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    })
    .join('/');
}

const MAX_BODY = 1024 * 1024;

/** A Twilio API host, as twhook's client names it in X-Forwarded-Host. */
const TWILIO_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+){0,2}\.twilio\.com$/;

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  // Route modules fill in their sub-objects in register().
  const state = {
    accountSid: options.accountSid ?? randomSid('AC'),
    authToken: options.authToken ?? randomHex(16),
    accountFriendlyName: options.friendlyName ?? 'twhook emulator',
    apiKeys: new Map((options.apiKeys ?? []).map((k) => [k.sid, k.secret])),
    now: options.now ?? (() => new Date()),
  } as EmulatorState;
  const router = new Router();
  for (const load of ROUTE_MODULES) (await load()).register(router, state, options);

  const requests: RecordedRequest[] = [];
  let faults: ActiveFault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let baseUrl = '';

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
      timers.add(entry);
    });

  const send = (res: ServerResponse, record: RecordedRequest, response: EmuResponse) => {
    record.status = response.status;
    const body = response.body === undefined ? '' : JSON.stringify(response.body);
    res.writeHead(response.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Twilio-Request-Id': randomSid('RQ'),
      ...response.headers,
    });
    res.end(body);
  };

  const authenticate = (header: string | undefined): { accountSid: string; user: string } | undefined => {
    const basic = parseBasic(header);
    if (!basic) return undefined;
    if (basic.user === state.accountSid && basic.pass === state.authToken)
      return { accountSid: state.accountSid, user: basic.user };
    const secret = state.apiKeys.get(basic.user);
    if (secret !== undefined && secret === basic.pass) return { accountSid: state.accountSid, user: basic.user };
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodePath(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    let form: [string, string][] = [];
    let json: unknown;
    const text = raw.toString('utf8');
    if (contentType.startsWith('application/x-www-form-urlencoded') || (!contentType && text && method !== 'GET')) {
      form = [...new URLSearchParams(text).entries()];
    } else if (contentType.startsWith('application/json') && text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    const basic = parseBasic(req.headers.authorization);
    const record: RecordedRequest = {
      method,
      path,
      query: [...url.searchParams.entries()],
      form,
      json,
      headers: req.headers,
      authUser: basic?.user,
    };
    requests.push(record);

    // Every matching fault counts the request, so each one's "Nth" is its own; the first due one acts.
    let fault: ActiveFault | undefined;
    for (const f of faults) {
      if (!f.matches(method, path)) continue;
      f.seen += 1;
      const nth = f.spec.nth ?? 1;
      if (!fault && f.seen >= nth && f.seen < nth + (f.spec.times ?? 1)) fault = f;
    }
    if (fault) {
      fault.hits += 1;
      if (fault.spec.delayMs) await delay(fault.spec.delayMs);
      if (fault.spec.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.spec.status) {
        const status = fault.spec.status;
        const headers: Record<string, string> = { ...fault.spec.headers };
        if (fault.spec.retryAfter !== undefined) headers['Retry-After'] = String(fault.spec.retryAfter);
        const response =
          fault.spec.body !== undefined
            ? { status, body: fault.spec.body, headers }
            : { ...twilioError(status, 20000 + status, defaultMessage(status)), headers };
        send(res, record, response);
        return;
      }
    }

    const matched = router.match(method, path);
    const needsAuth = !(matched && 'route' in matched && matched.route.options.auth === false);
    const auth = authenticate(req.headers.authorization);
    const host = String(req.headers['x-forwarded-host'] ?? '').toLowerCase();
    const inRegion = !options.region || host.endsWith(`.${options.region.toLowerCase()}.twilio.com`);
    if (needsAuth && (!auth || !inRegion)) {
      const response = twilioError(401, 20003, 'Authenticate', {
        detail: 'Your AccountSid or AuthToken was incorrect.',
      });
      send(res, record, { ...response, headers: { 'WWW-Authenticate': 'Basic realm="Twilio API"' } });
      return;
    }
    if (!matched) return send(res, record, twilioError(404, 20404, `The requested resource ${path} was not found`));
    if ('methodNotAllowed' in matched) return send(res, record, twilioError(405, 20004, 'Method not allowed'));
    const { route, params } = matched;
    if (params.AccountSid !== undefined && params.AccountSid !== auth?.accountSid) {
      return send(
        res,
        record,
        twilioError(401, 20003, 'Authenticate', {
          detail: `The credentials are not valid for account ${params.AccountSid}.`,
        }),
      );
    }
    const emuReq: EmuRequest = {
      method,
      path,
      query: url.searchParams,
      form,
      json,
      headers: req.headers,
      params,
      accountSid: auth?.accountSid ?? state.accountSid,
      authUser: auth?.user ?? '',
      // Links point where the client asked, as Twilio's do (https://events.dublin.ie1.twilio.com/v1/…
      // for a regional request): the SDK then applies its region to them unchanged.
      baseUrl: TWILIO_HOST.test(host) ? `https://${host}` : baseUrl,
    };
    try {
      send(res, record, await route.handler(emuReq));
    } catch (err) {
      if (err instanceof ApiError) send(res, record, err.toResponse());
      else
        send(res, record, twilioError(500, 20500, `An internal server error has occurred: ${(err as Error).message}`));
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    accountSid: state.accountSid,
    authToken: state.authToken,
    state,
    requests,
    fault(spec) {
      const matchPath = pathMatcher(spec.path);
      const method = spec.method?.toUpperCase();
      const active: ActiveFault = {
        spec,
        seen: 0,
        hits: 0,
        matches: (m, p) => (!method || method === m) && matchPath(p),
      };
      faults.push(active);
      return active;
    },
    clearFaults() {
      faults = [];
    },
    clearRequests() {
      requests.length = 0;
    },
    close() {
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
    },
  };
}

function defaultMessage(status: number): string {
  if (status === 429) return 'Too Many Requests';
  if (status === 503) return 'Service Unavailable';
  if (status >= 500) return 'An internal server error has occurred';
  return `HTTP ${status}`;
}
