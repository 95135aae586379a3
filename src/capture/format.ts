/**
 * The capture format, version 1: JSON Lines, one webhook request a line, as received from Twilio.
 * `dev` writes it, `verify` and `replay` read it (see docs/capture-format.md).
 */
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

export const CAPTURE_VERSION = 1;

/** Header names in lower case; a header received more than once keeps each value. */
export type CaptureHeaders = Record<string, string | string[]>;

export interface CaptureResponse {
  status: number;
  headers?: CaptureHeaders;
  /** The response body as text, or `bodyBase64` when it is not UTF-8. */
  body?: string;
  bodyBase64?: string;
  /** Milliseconds from receiving the request to the end of the response. */
  ms?: number;
}

export interface CaptureRecord {
  v: 1;
  /** Unique within a capture file; `dev` uses time-ordered ids (newCaptureId). */
  id: string;
  /** ISO 8601 time the request was received. */
  receivedAt: string;
  method: string;
  /** The public URL Twilio requested, as received (query string included): what the signature covers. */
  url: string;
  headers: CaptureHeaders;
  /** The raw body as text, or `bodyBase64` when it is not valid UTF-8. */
  body?: string;
  bodyBase64?: string;
  response?: CaptureResponse;
  /** Id of an earlier record with the same I-Twilio-Idempotency-Token: Twilio retried it. */
  retryOf?: string;
  /**
   * `dev --basic-auth`: the URL Twilio was given, with the session's credentials and the password
   * masked (`https://user:***@host/sms`). Twilio signs it with the credentials: `verify
   * --basic-auth USER:PASS` puts the password back to check it. Never holds a password.
   */
  credentialedUrl?: string;
  /** With `credentialedUrl`: the URL dev's verdict matched; absent when neither did or none was checked. */
  matchedUrl?: 'with-credentials' | 'without-credentials';
  /** Free text (why the request was captured, what was changed when replayed...). */
  note?: string;
}

/** A record read from a file, or the reason a line or entry could not be read. */
export type CaptureItem =
  /** `har`: an entry of a HAR file, which records whatever a browser or proxy saw, not only webhooks. */
  | { file: string; line: number; record: CaptureRecord; error?: undefined; har?: true }
  | { file: string; line: number; error: string; record?: undefined };

/** `{ body }` for UTF-8 text, `{ bodyBase64 }` for other bytes, `{}` for an empty body. */
export function encodeBody(bytes: Uint8Array | string | undefined): { body?: string; bodyBase64?: string } {
  if (bytes === undefined) return {};
  if (typeof bytes === 'string') return bytes ? { body: bytes } : {};
  if (bytes.byteLength === 0) return {};
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buffer) ? { body: buffer.toString('utf8') } : { bodyBase64: buffer.toString('base64') };
}

/** The body bytes of a record (or response). */
export function bodyBytes(record: { body?: string; bodyBase64?: string }): Buffer {
  if (record.bodyBase64 !== undefined) return Buffer.from(record.bodyBase64, 'base64');
  return Buffer.from(record.body ?? '', 'utf8');
}

/** The body as text: non-UTF-8 bytes decode with replacement characters, as a Node app sees them. */
export function bodyText(record: { body?: string; bodyBase64?: string }): string {
  if (record.bodyBase64 !== undefined) return Buffer.from(record.bodyBase64, 'base64').toString('utf8');
  return record.body ?? '';
}

/** The first value of a header. */
export function header(headers: CaptureHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A time-ordered unique id: `req_` + milliseconds (base 36) + 8 random hex digits. */
export function newCaptureId(now: Date): string {
  // The first 8 hex digits of a v4 UUID are random; randomUUID draws from a cached pool of
  // entropy, where randomBytes(4) costs a call into the CSPRNG for every request.
  return `req_${now.getTime().toString(36).padStart(9, '0')}${randomUUID().slice(0, 8)}`;
}

/** Lower-cases names and merges repeats (Node's IncomingMessage.headers or raw pairs). */
export function normalizeHeaders(
  input: Record<string, string | string[] | number | undefined> | Array<[string, string]>,
): CaptureHeaders {
  const out: CaptureHeaders = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const previous = out[key];
    if (previous === undefined) out[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[key] = [previous, value];
  };
  if (Array.isArray(input)) for (let i = 0; i < input.length; i++) add(input[i]![0], input[i]![1]);
  else {
    for (const [name, value] of Object.entries(input)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) add(name, v);
      else add(name, String(value));
    }
  }
  return out;
}

/** Headers whose values are credentials: captures keep only the scheme. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization'];

/** Replaces credential values by `<scheme> [redacted]` (Basic auth passwords never reach a capture). */
export function redactHeaders(headers: CaptureHeaders, names: readonly string[] = SECRET_HEADERS): CaptureHeaders {
  let out: CaptureHeaders | undefined;
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    out ??= { ...headers };
    const redact = (v: string) => {
      const scheme = /^\s*(\S+)\s+\S/.exec(v)?.[1];
      return scheme ? `${scheme} [redacted]` : '[redacted]';
    };
    out[name] = Array.isArray(value) ? value.map(redact) : redact(value);
  }
  return out ?? headers;
}

/** The URL with the password of any `user:password@` replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, '$1:***@');
}

export class CaptureFormatError extends Error {}

/** `scheme://user:***@`: a URL's credentials with the password masked. */
const MASKED_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@:]*:\*\*\*@/i;

const isHeaders = (value: unknown): value is CaptureHeaders =>
  !!value && typeof value === 'object' && !Array.isArray(value);

/** Checks a parsed line; throws CaptureFormatError naming the first problem. */
export function checkRecord(value: unknown): CaptureRecord {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CaptureFormatError('not a JSON object');
  const r = value as Partial<CaptureRecord> & { v?: unknown };
  if (r.v !== CAPTURE_VERSION) {
    throw new CaptureFormatError(
      r.v === undefined
        ? 'no "v" field: not a twhook capture record'
        : `capture version ${JSON.stringify(r.v)} is not supported (this twhook reads v1)`,
    );
  }
  if (typeof r.url !== 'string' || !r.url) throw new CaptureFormatError('no "url"');
  if (typeof r.method !== 'string') throw new CaptureFormatError('no "method"');
  if (r.headers !== undefined && !isHeaders(r.headers)) throw new CaptureFormatError('"headers" is not an object');
  if (r.body !== undefined && typeof r.body !== 'string') throw new CaptureFormatError('"body" is not a string');
  if (r.bodyBase64 !== undefined && typeof r.bodyBase64 !== 'string')
    throw new CaptureFormatError('"bodyBase64" is not a string');
  r.headers ??= {};
  // Header names are case-insensitive: a hand-edited X-Twilio-Signature is the signature header.
  for (const name in r.headers) {
    if (name !== name.toLowerCase()) {
      r.headers = normalizeHeaders(r.headers);
      break;
    }
  }
  if (r.credentialedUrl !== undefined && typeof r.credentialedUrl !== 'string')
    throw new CaptureFormatError('"credentialedUrl" is not a string');
  // A URL whose password is the mask (the simulator's records, a hand-made one) is the
  // credentialed shape: the request went to the URL without the credentials.
  if (r.credentialedUrl === undefined && MASKED_USERINFO.test(r.url)) {
    r.credentialedUrl = r.url;
    r.url = r.url.replace(MASKED_USERINFO, '$1');
  }
  // Only a hint for the verdict's wording: a value this twhook does not know is ignored.
  if (r.matchedUrl !== undefined && r.matchedUrl !== 'with-credentials' && r.matchedUrl !== 'without-credentials')
    delete r.matchedUrl;
  if (typeof r.id !== 'string') r.id = r.id === undefined ? '' : String(r.id);
  return r as CaptureRecord;
}

/** Parses one JSONL line; throws CaptureFormatError. */
export function parseCaptureLine(line: string): CaptureRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new CaptureFormatError(`not JSON (${(err as Error).message})`);
  }
  return checkRecord(value);
}

/** One record as one line (with its newline). */
export function formatCaptureLine(record: CaptureRecord): string {
  return JSON.stringify(record) + '\n';
}
