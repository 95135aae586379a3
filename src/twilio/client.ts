/**
 * The SDK-backed TwilioPort. The only module that loads `twilio` at run time (lazily: it costs
 * ~130 ms), so commands that never call the API, and --help, stay fast.
 *
 * Every request goes through TwhookRequestClient (a subclass of the SDK's RequestClient):
 * - the SDK builds each host from the region and edge twhook resolved (restTarget:
 *   api.dublin.ie1.twilio.com, events.dublin.ie1.twilio.com…); with --api-url / TWHOOK_API_URL
 *   it sends api/events/messaging hosts, region and edge forms included, to that base URL (with
 *   the host asked for in X-Forwarded-Host) and refuses any other twilio.com host, so a test or a
 *   demo never reaches Twilio by accident;
 * - it retries 429 and 5xx (never a 5xx to a POST that creates something) with backoff;
 * - it turns HTTP errors and network failures into RemoteError (exit 3, built in errors.ts) with Twilio's code,
 *   status and more_info, or a plain sentence naming the host. It never copies the request
 *   options into an error: the SDK puts the credentials there.
 *
 * Env knobs (read from ctx.env): TWHOOK_HTTP_TIMEOUT_MS (default 30000), TWHOOK_RETRY_BASE_MS
 * (500), TWHOOK_RETRY_MAX_MS (cap of one wait, 10000), TWHOOK_MAX_RETRIES (3), TWHOOK_PAGE_SIZE.
 */
import type { TwilioFactoryOptions } from '../ctx.js';
import { TwhookError, UsageError } from '../errors.js';
import type { Credentials } from './credentials.js';
import { restAuth, restTarget, type RestAuth, type RestTarget } from './credentials.js';
import { httpError, networkCode, networkError, notJsonError, toRemoteError } from './errors.js';
import type { TwilioPort } from './port.js';

import type SdkRequestClient from 'twilio/lib/base/RequestClient.js';

type SdkResponse<T> = import('twilio/lib/http/response.js').default<T>;

type RequestClientClass = typeof SdkRequestClient;

/** Hosts --api-url stands in for: product.[edge.][region.]twilio.com. */
const REWRITTEN_HOST = /^(api|events|messaging)(\.[a-z0-9-]+){0,2}\.twilio\.com$/i;

/** Checks --api-url / TWHOOK_API_URL and returns it without a trailing slash. */
export function parseApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--api-url (or TWHOOK_API_URL) is not a URL: "${value}"; pass a base URL like http://127.0.0.1:4010`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--api-url (or TWHOOK_API_URL) must be an http:// or https:// URL, not ${url.protocol}//…`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      '--api-url (or TWHOOK_API_URL) must not carry credentials: use TWILIO_AUTH_TOKEN or an API key',
    );
  }
  if (url.search || url.hash)
    throw new UsageError('--api-url (or TWHOOK_API_URL) must be a base URL, without ?query or #fragment');
  return url.href.replace(/\/+$/, '');
}

/**
 * The URL a request to `uri` goes to when the base URL replaces Twilio: api, events and
 * messaging hosts (any region/edge form) move to `baseUrl`, keeping path and query; any other
 * twilio.com host is refused; other hosts (the emulator's own page links) pass through.
 */
export function rewriteTwilioUrl(uri: string, baseUrl: string): string {
  const url = new URL(uri);
  const host = url.hostname.toLowerCase();
  if (host !== 'twilio.com' && !host.endsWith('.twilio.com')) return uri;
  if (!REWRITTEN_HOST.test(host)) {
    throw new UsageError(
      `refusing to send a request to ${host} while --api-url is set: only api, events and messaging.twilio.com go to ${baseUrl}`,
    );
  }
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${url.pathname}${url.search}`;
}

/** Whether a failed attempt may be sent again without risking a duplicate. */
export function isRetryable(method: string, uri: string, status: number): boolean {
  if (status === 429) return true; // Twilio did not process it.
  if (status < 500) return false;
  const verb = method.toUpperCase();
  if (verb === 'GET' || verb === 'DELETE' || verb === 'HEAD') return true;
  // A POST to an instance (…/PNxxxx.json, /v1/Sinks/DGxxxx) updates it: repeating it is harmless.
  // A POST to a collection or an action may have created something before the 5xx.
  const last = new URL(uri).pathname.split('/').pop() ?? '';
  return verb === 'POST' && /^[A-Z]{2}[0-9a-f]{32}(\.json)?$/.test(last);
}

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date), if any. */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface HttpSettings {
  /** Replaces Twilio's hosts (see rewriteTwilioUrl). */
  baseUrl?: string;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRetries: number;
  /** How the credentials were given, to name them when Twilio rejects them. */
  auth: Pick<RestAuth, 'method' | 'accountSid'>;
  credentials?: Credentials;
  /** The region and edge in use, for errors. */
  target?: RestTarget;
  sleep?: (ms: number) => Promise<void>;
}

function envInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new UsageError(`${name} must be a whole number of milliseconds or a count, not "${raw}"`);
  return Number(raw);
}

export function httpSettingsFromEnv(env: Record<string, string | undefined>): Omit<HttpSettings, 'auth'> {
  return {
    timeoutMs: envInt(env, 'TWHOOK_HTTP_TIMEOUT_MS', 30_000) || 30_000,
    retryBaseMs: envInt(env, 'TWHOOK_RETRY_BASE_MS', 500),
    retryMaxMs: envInt(env, 'TWHOOK_RETRY_MAX_MS', 10_000),
    maxRetries: envInt(env, 'TWHOOK_MAX_RETRIES', 3),
  };
}

/** Network failures after which the request was certainly not processed, or is safe to resend. */
function retryableNetwork(code: string | undefined, method: string, uri: string): boolean {
  if (code !== 'ECONNRESET' && code !== 'EPIPE') return false;
  return isRetryable(method, uri, 503);
}

export function backoffMs(
  attempt: number,
  settings: Pick<HttpSettings, 'retryBaseMs' | 'retryMaxMs'>,
  retryAfter?: number,
): number {
  const exponential = settings.retryBaseMs * 2 ** attempt;
  return Math.min(settings.retryMaxMs, retryAfter ?? exponential);
}

export type TwhookRequestClient = SdkRequestClient & { readonly settings: HttpSettings };

/** The SDK's RequestClient with twhook's host rewriting, retries and errors. */
export function defineRequestClient(Base: RequestClientClass): new (settings: HttpSettings) => TwhookRequestClient {
  return class TwhookRequestClient extends Base {
    readonly settings: HttpSettings;

    constructor(settings: HttpSettings) {
      super({ timeout: settings.timeoutMs, autoRetry: false });
      this.settings = settings;
    }

    override async request<TData>(opts: SdkRequestClient.RequestOptions<TData>): Promise<SdkResponse<TData>> {
      const settings = this.settings;
      const uri = settings.baseUrl ? rewriteTwilioUrl(opts.uri, settings.baseUrl) : opts.uri;
      // The server at --api-url learns which Twilio host the SDK built (region and edge applied),
      // as a reverse proxy would tell it: the emulator checks a regional account against it.
      const headers = settings.baseUrl ? { ...opts.headers, 'X-Forwarded-Host': new URL(opts.uri).host } : opts.headers;
      const method = String(opts.method);
      const sleep = settings.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
      for (let attempt = 0; ; attempt++) {
        let response: SdkResponse<TData>;
        try {
          response = await super.request<TData>({ ...opts, uri, headers });
        } catch (err) {
          if (err instanceof TwhookError) throw err;
          const code = networkCode(err);
          if (attempt < settings.maxRetries && retryableNetwork(code, method, uri)) {
            await sleep(backoffMs(attempt, settings));
            continue;
          }
          throw networkError(err, uri, settings, method, opts.uri);
        }
        if (response.statusCode < 400) {
          // The SDK JSON.parses every answer: an HTML page or a TwiML app at --api-url would
          // surface as a SyntaxError ("unexpected failure") instead of naming the server.
          if (typeof response.body === 'string' && /^\s*[^\s{[]/.test(response.body))
            throw notJsonError(response.statusCode, method, uri, settings);
          return response;
        }
        if (attempt < settings.maxRetries && isRetryable(method, uri, response.statusCode)) {
          await sleep(backoffMs(attempt, settings, retryAfterMs(headerValue(response.headers, 'retry-after'))));
          continue;
        }
        throw httpError(response, method, uri, settings, attempt + 1, opts.uri);
      }
    }
  };
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (!headers) return undefined;
  const h = headers as { get?: (n: string) => unknown };
  if (typeof h.get === 'function') return h.get(name);
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

export const createTwilioPort = async (options: TwilioFactoryOptions): Promise<TwilioPort> => {
  const auth = restAuth(options.credentials);
  const target = restTarget(options.credentials);
  const baseUrl = options.apiUrl ? parseApiUrl(options.apiUrl) : undefined;
  const settings: HttpSettings = {
    ...httpSettingsFromEnv(options.env),
    baseUrl,
    auth,
    credentials: options.credentials,
    target,
  };
  const pageSize = envInt(options.env, 'TWHOOK_PAGE_SIZE', 0) || undefined;

  const [{ default: twilio }, { createNumbersApi }, { createMessagingApi }, { createEventsApi }] = await Promise.all([
    import('twilio'),
    import('./numbers.js'),
    import('./messaging.js'),
    import('./eventstreams.js'),
  ]);
  const HttpClient = defineRequestClient(twilio.RequestClient);
  const client = twilio(auth.username, auth.password, {
    accountSid: auth.accountSid,
    httpClient: new HttpClient(settings),
    // Resolved by twhook (flags, profile, env, env file; the region's edge by default). Empty, not
    // undefined, when unset: the SDK would fall back to process.env's TWILIO_EDGE/TWILIO_REGION.
    edge: target.edge?.value ?? '',
    region: target.region?.value ?? '',
    // The SDK's debug logging prints request details to stdout; never let the env turn it on.
    logLevel: 'info',
    env: {},
    autoRetry: false,
  });

  return {
    accountSid: auth.accountSid,
    async fetchAccount() {
      try {
        const account = await client.api.v2010.accounts(auth.accountSid).fetch();
        return { sid: account.sid, friendlyName: account.friendlyName, status: account.status, type: account.type };
      } catch (err) {
        throw toRemoteError(err);
      }
    },
    numbers: createNumbersApi(client, { pageSize }),
    messaging: createMessagingApi(client),
    events: createEventsApi(client),
  };
};
