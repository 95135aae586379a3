/**
 * The emulator's request/response types, Twilio-style errors and the small router that route
 * modules register on. No framework: node:http and a list of compiled path patterns.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type Method = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';

/** A parsed request as route handlers see it. */
export interface EmuRequest {
  method: string;
  /** The path without the query string, percent-decoded segment by segment. */
  path: string;
  query: URLSearchParams;
  /** Form parameters (application/x-www-form-urlencoded), in order, repeated keys kept. */
  form: [string, string][];
  /** The parsed body when it was sent as application/json. */
  json?: unknown;
  headers: IncomingHttpHeaders;
  /** Values of the `{Name}` placeholders of the matched pattern. */
  params: Record<string, string>;
  /** The account the Basic credentials authenticate (set before the handler runs). */
  accountSid: string;
  /** The Basic auth user: the account SID or an API key SID. */
  authUser: string;
  /** The emulator's own base URL (http://127.0.0.1:PORT), for absolute links in responses. */
  baseUrl: string;
}

export interface EmuResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const moreInfo = (code: number) => `https://www.twilio.com/docs/errors/${code}`;

/** Thrown by handlers: becomes Twilio's error JSON `{code, message, more_info, status}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toResponse(): EmuResponse {
    return twilioError(this.status, this.code, this.message, this.extra);
  }
}

/** Twilio's error body, exactly as api.twilio.com and the v1 hosts send it. */
export function twilioError(
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): EmuResponse {
  return { status, body: { code, message, more_info: moreInfo(code), status, ...extra } };
}

export const notFound = (path: string) => new ApiError(404, 20404, `The requested resource ${path} was not found`);

/** Form helpers shared by route modules. */
export function formValue(req: EmuRequest, name: string): string | undefined {
  const pair = req.form.find(([k]) => k === name);
  return pair?.[1];
}

export function formValues(req: EmuRequest, name: string): string[] {
  return req.form.filter(([k]) => k === name).map(([, v]) => v);
}

/** Rejects every form key not in `allowed` with Twilio's unknown-parameter error (20001). */
export function rejectUnknownParams(req: EmuRequest, allowed: Iterable<string>): void {
  const known = new Set(allowed);
  for (const [key] of req.form) {
    if (!known.has(key)) throw new ApiError(400, 20001, `Unknown parameter ${key}`);
  }
}

export type Handler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

export interface RouteOptions {
  /** Default true: Basic credentials must authenticate an account (401 20003 otherwise). */
  auth?: boolean;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
  options: RouteOptions;
}

/**
 * Patterns use the OpenAPI path syntax of twilio-oai, so a route reads like the contract:
 * `/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json`. A placeholder matches
 * one path segment (up to a `/` or the literal text that follows it, such as `.json`).
 * When a pattern has `{AccountSid}`, it must be the authenticated account.
 */
export class Router {
  private routes: Route[] = [];

  get(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('GET', pattern, handler, options);
  }

  post(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('POST', pattern, handler, options);
  }

  delete(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('DELETE', pattern, handler, options);
  }

  add(method: Method, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    const names: string[] = [];
    const source = pattern
      .split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/)
      .map((part) => {
        const m = /^\{(.+)\}$/.exec(part);
        if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]!);
        return '([^/]+?)';
      })
      .join('');
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}$`), names, handler, options });
  }

  /** The route for a method and path; `methodNotAllowed` when only the method differs. */
  match(
    method: string,
    path: string,
  ):
    | { route: { handler: Handler; options: RouteOptions; pattern: string }; params: Record<string, string> }
    | { methodNotAllowed: true }
    | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = m[i + 1]!));
      return { route, params };
    }
    return pathMatched ? { methodNotAllowed: true } : undefined;
  }
}
