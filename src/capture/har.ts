/**
 * HAR 1.2 (browser devtools, ngrok's traffic inspector export) to and from capture records.
 */
import { encodeForm } from '../webhooks/form.js';
import {
  CaptureFormatError,
  normalizeHeaders,
  redactHeaders,
  redactUrl,
  type CaptureHeaders,
  type CaptureRecord,
} from './format.js';

interface HarNameValue {
  name?: unknown;
  value?: unknown;
}

interface HarEntry {
  _id?: unknown;
  /** twhook's own (HAR allows `_` fields): the capture record's credentialedUrl and matchedUrl. */
  _credentialedUrl?: unknown;
  _matchedUrl?: unknown;
  startedDateTime?: unknown;
  time?: unknown;
  request?: {
    method?: unknown;
    url?: unknown;
    headers?: HarNameValue[];
    postData?: { mimeType?: unknown; text?: unknown; params?: HarNameValue[]; encoding?: unknown };
  };
  response?: {
    status?: unknown;
    headers?: HarNameValue[];
    content?: { text?: unknown; encoding?: unknown; mimeType?: unknown };
  };
}

function harHeaders(list: HarNameValue[] | undefined): CaptureHeaders {
  if (!Array.isArray(list)) return {};
  const pairs: Array<[string, string]> = [];
  for (const h of list) {
    // HTTP/2 pseudo-headers (:authority, :path) are not request headers an app sees.
    if (typeof h?.name !== 'string' || h.name.startsWith(':')) continue;
    pairs.push([h.name, typeof h.value === 'string' ? h.value : String(h.value ?? '')]);
  }
  return normalizeHeaders(pairs);
}

/** Converts one HAR entry (the n-th, 1-based) to a capture record; throws CaptureFormatError. */
export function harEntryToRecord(value: unknown, n: number): CaptureRecord {
  const entry = value as HarEntry;
  const request = entry?.request;
  if (!request || typeof request !== 'object') throw new CaptureFormatError('HAR entry without a request');
  if (typeof request.url !== 'string' || !request.url) throw new CaptureFormatError('HAR request without a url');
  const record: CaptureRecord = {
    v: 1,
    id: typeof entry._id === 'string' || typeof entry._id === 'number' ? String(entry._id) : `har-${n}`,
    receivedAt: typeof entry.startedDateTime === 'string' ? entry.startedDateTime : '',
    method: typeof request.method === 'string' ? request.method.toUpperCase() : 'GET',
    url: request.url,
    headers: harHeaders(request.headers),
  };
  if (typeof entry._credentialedUrl === 'string') {
    record.credentialedUrl = redactUrl(entry._credentialedUrl);
    if (entry._matchedUrl === 'with-credentials' || entry._matchedUrl === 'without-credentials')
      record.matchedUrl = entry._matchedUrl;
  }
  const post = request.postData;
  if (post && typeof post === 'object') {
    if (typeof post.text === 'string') {
      if (post.encoding === 'base64') record.bodyBase64 = post.text;
      else if (post.text) record.body = post.text;
    } else if (Array.isArray(post.params)) {
      // Only the decoded parameters were exported: re-encode them (the signature covers the
      // decoded values, so it is unaffected).
      record.body = encodeForm(
        post.params.map((p) => [String(p?.name ?? ''), String(p?.value ?? '')] as [string, string]),
      );
    }
  }
  const response = entry.response;
  if (response && typeof response === 'object' && typeof response.status === 'number' && response.status > 0) {
    record.response = { status: response.status, headers: harHeaders(response.headers) };
    const content = response.content;
    if (content && typeof content.text === 'string' && content.text) {
      if (content.encoding === 'base64') record.response.bodyBase64 = content.text;
      else record.response.body = content.text;
    }
    if (typeof entry.time === 'number' && entry.time >= 0) record.response.ms = entry.time;
  }
  return record;
}

const toList = (headers: CaptureHeaders | undefined) =>
  Object.entries(headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({ name, value: v })),
  );

/** One HAR entry for a record (credentials redacted as in captures). */
export function recordToHarEntry(record: CaptureRecord): Record<string, unknown> {
  const headers = redactHeaders(record.headers);
  const url = redactUrl(record.url);
  let query: Array<{ name: string; value: string }> = [];
  try {
    query = [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    // An unparsable URL keeps an empty queryString.
  }
  const contentType =
    (Array.isArray(headers['content-type']) ? headers['content-type'][0] : headers['content-type']) ?? '';
  const hasBody = record.body !== undefined || record.bodyBase64 !== undefined;
  const response = record.response;
  return {
    _id: record.id,
    ...(record.credentialedUrl !== undefined ? { _credentialedUrl: redactUrl(record.credentialedUrl) } : {}),
    ...(record.matchedUrl !== undefined ? { _matchedUrl: record.matchedUrl } : {}),
    startedDateTime: record.receivedAt,
    time: response?.ms ?? 0,
    request: {
      method: record.method,
      url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: toList(headers),
      queryString: query,
      ...(hasBody
        ? {
            postData:
              record.bodyBase64 !== undefined
                ? { mimeType: contentType, text: record.bodyBase64, encoding: 'base64' }
                : { mimeType: contentType, text: record.body },
          }
        : {}),
      headersSize: -1,
      bodySize: hasBody
        ? Buffer.byteLength(record.body ?? '') || Buffer.from(record.bodyBase64 ?? '', 'base64').length
        : 0,
    },
    response: {
      status: response?.status ?? 0,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: toList(response?.headers),
      content: {
        size: response ? Buffer.byteLength(response.body ?? '') : 0,
        mimeType: String((response?.headers?.['content-type'] as string | undefined) ?? ''),
        ...(response?.bodyBase64 !== undefined
          ? { text: response.bodyBase64, encoding: 'base64' }
          : response?.body !== undefined
            ? { text: response.body }
            : {}),
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 0, wait: response?.ms ?? 0, receive: 0 },
  };
}

/** A HAR 1.2 document for the records (held in memory: meant for a session's worth, not a 90 MB file). */
export function toHar(records: Iterable<CaptureRecord>, creatorVersion = '0.0.0'): Record<string, unknown> {
  return {
    log: {
      version: '1.2',
      creator: { name: 'twhook', version: creatorVersion },
      entries: [...records].map(recordToHarEntry),
    },
  };
}
