/**
 * Which captured requests a replay sends: --id, --filter key=value (same key: any value; several
 * keys: all of them), then --last N. Reading streams the files; only the selection is kept.
 */
import {
  bodyText,
  header,
  readCaptureBatches,
  CaptureFileError,
  type CaptureRecord,
  type CaptureSource,
} from '../capture/index.js';
import { UsageError } from '../errors.js';
import type { FormParams } from '../webhooks/form.js';
import { bodyFormParams, classify, WEBHOOK_KINDS, type WebhookKind } from '../webhooks/kinds.js';
import { Feed } from './pool.js';

export const FILTER_KEYS = ['kind', 'path', 'method', 'status'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface Filter {
  key: FilterKey;
  /** Any of these matches. */
  values: string[];
}

/** A captured request picked for replay, with what it is. */
export interface Selected {
  file: string;
  line: number;
  record: CaptureRecord;
  kind: WebhookKind;
  gist: string;
  /** The TwiML the app must answer with, or false. */
  expectsTwiml: false | 'voice' | 'messaging';
  /** The body's form parameters as classify parsed them (re-signing reuses them); absent for JSON, GET, HEAD. */
  params?: FormParams;
}

export interface Selection {
  ids?: string[];
  last?: number;
  filters?: Filter[];
}

export interface SelectResult {
  /** The picks, unless they went to a feed as they were read. */
  selected: Selected[];
  /** How many requests were picked. */
  count: number;
  /** Records read (valid lines or entries). */
  read: number;
  /** Lines or entries that could not be read: `file:line: reason`. */
  unreadable: string[];
}

/** `kind=status`, `path=/sms`, `method=GET`, `status=5xx`: grouped by key. */
export function parseFilters(specs: readonly string[]): Filter[] {
  const byKey = new Map<FilterKey, string[]>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const key = spec.slice(0, eq).trim().toLowerCase();
    const value = spec.slice(eq + 1).trim();
    if (eq <= 0 || !value)
      throw new UsageError(
        `--filter takes KEY=VALUE (${FILTER_KEYS.join(', ')}), such as kind=status or path=/sms, not "${spec}"`,
      );
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(
        `--filter ${key}=… is not a filter: use ${FILTER_KEYS.join(', ')} (kind=status, path=/sms, method=GET, status=5xx)`,
      );
    }
    if (key === 'kind' && !WEBHOOK_KINDS.some((k) => kindMatches(k, value))) {
      throw new UsageError(
        `--filter kind=${value} matches no kind: use one of ${WEBHOOK_KINDS.join(', ')} (or a part such as status, inbound, sms, call)`,
      );
    }
    if (key === 'status' && !/^[1-5](\d\d|xx)$/i.test(value))
      throw new UsageError(`--filter status= takes an HTTP status such as 200 or 5xx, not "${value}"`);
    const list = byKey.get(key as FilterKey) ?? [];
    list.push(value);
    byKey.set(key as FilterKey, list);
  }
  return [...byKey].map(([key, values]) => ({ key, values }));
}

/** `status` matches message-status, call-status and recording-status; `sms` matches inbound-sms. */
export function kindMatches(kind: string, wanted: string): boolean {
  const w = wanted.toLowerCase();
  return kind === w || kind.startsWith(`${w}-`) || kind.endsWith(`-${w}`);
}

function pathOf(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url);
  const path = match ? match[1]! : url.replace(/[?#].*$/, '');
  return path || '/';
}

/** `/sms` matches exactly; `*` matches any run of characters (`/status/*`). */
function pathMatches(path: string, pattern: string): boolean {
  if (!pattern.includes('*')) return path === pattern;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(path);
}

function filterMatches(filter: Filter, record: CaptureRecord, kind: WebhookKind): boolean {
  switch (filter.key) {
    case 'kind':
      return filter.values.some((v) => kindMatches(kind, v));
    case 'path': {
      const path = pathOf(record.url);
      return filter.values.some((v) => pathMatches(path, v));
    }
    case 'method':
      return filter.values.some((v) => v.toUpperCase() === record.method.toUpperCase());
    case 'status': {
      const status = record.response?.status;
      if (status === undefined) return false;
      return filter.values.some((v) => (/xx$/i.test(v) ? String(status)[0] === v[0] : String(status) === v));
    }
  }
}

export function twimlChannel(kind: WebhookKind): false | 'voice' | 'messaging' {
  if (kind === 'inbound-call' || kind === 'gather') return 'voice';
  if (kind === 'inbound-sms' || kind === 'inbound-mms') return 'messaging';
  return false;
}

export function describeRecord(record: CaptureRecord): {
  kind: WebhookKind;
  gist: string;
  expectsTwiml: false | 'voice' | 'messaging';
  params?: FormParams;
} {
  const { file: _file, line: _line, record: _record, ...described } = selectedOf('', 0, record);
  return described;
}

/** A record with what it is, in one object (a replay makes one per request). */
function selectedOf(file: string, line: number, record: CaptureRecord): Selected {
  const c = classify({ method: record.method, url: record.url, headers: record.headers, body: bodyText(record) });
  const selected: Selected = {
    file,
    line,
    record,
    kind: c.kind,
    gist: c.gist,
    expectsTwiml: c.expectsTwiml ? twimlChannel(c.kind) || 'messaging' : false,
  };
  const params = bodyFormParams(c);
  if (params) selected.params = params;
  return selected;
}

/**
 * Reads the sources and keeps what the selection picks, in file order. With a feed (and neither
 * --id nor --last, which need the whole file first), each pick is pushed as soon as it is read,
 * so sending starts at once and memory stays flat; the feed is closed at the end, even on error.
 */
export async function selectRecords(
  sources: CaptureSource[],
  selection: Selection,
  signal?: AbortSignal,
  feed?: Feed<Selected>,
): Promise<SelectResult> {
  const ids = selection.ids?.length ? new Set(selection.ids) : undefined;
  const filters = selection.filters ?? [];
  const last = selection.last;
  const stream = feed && !ids && last === undefined;
  let selected: Selected[] = [];
  let count = 0;
  const unreadable: string[] = [];
  const found = new Set<string>();
  let read = 0;
  try {
    for await (const batch of readCaptureBatches(sources, { signal })) {
      for (const item of batch) {
        if (item.error !== undefined) {
          unreadable.push(`${item.file}:${item.line}: ${item.error}`);
          continue;
        }
        read++;
        const record = item.record;
        if (ids && !ids.has(record.id)) continue;
        const pick = selectedOf(item.file, item.line, record);
        if (!filters.every((f) => filterMatches(f, record, pick.kind))) continue;
        if (ids) found.add(record.id);
        count++;
        if (stream) {
          const room = feed.push(pick);
          if (room !== Feed.NO_WAIT) await room;
          if (feed.abandoned) return { selected: [], count, read, unreadable };
          continue;
        }
        selected.push(pick);
        // --last N keeps a bounded window rather than the whole file.
        if (last !== undefined && selected.length > last * 2 + 1024) selected = selected.slice(-last);
      }
    }
    if (ids) {
      const missing = [...ids].filter((id) => !found.has(id));
      if (missing.length) {
        throw new UsageError(
          `no request with id ${missing.join(', ')} in ${sources.map(sourceName).join(', ')}${filters.length ? ' (that passes the filters)' : ''}`,
        );
      }
    }
    if (last !== undefined) selected = selected.slice(-last);
    if (feed && !stream) for (const pick of selected) await feed.push(pick);
    return { selected, count: stream ? count : selected.length, read, unreadable };
  } catch (err) {
    if (err instanceof CaptureFileError) throw new UsageError(err.message);
    throw err;
  } finally {
    feed?.close();
  }
}

function sourceName(source: CaptureSource): string {
  return typeof source === 'string' ? source : source.name;
}

/** The captured request's idempotency token, if any. */
export function idempotencyToken(record: CaptureRecord): string | undefined {
  return header(record.headers, 'i-twilio-idempotency-token');
}
