/**
 * Both of Twilio's list shapes, for route modules:
 * - API 2010 (`api.twilio.com/2010-04-01`): top-level `page`, `page_size`, `start`, `end`, `uri`,
 *   `first_page_uri`, `next_page_uri`, `previous_page_uri` (paths relative to the host; the SDK
 *   prefixes its domain) beside the resource array.
 * - v1 hosts (events, messaging): `meta: { page, page_size, first_page_url, previous_page_url,
 *   url, next_page_url, key }` with absolute URLs (the SDK follows them as they are; the emulator
 *   uses its own base URL so that any client can follow them).
 * Paging is by cursor like Twilio's: `PageToken=PA<id>` (after the item with that id) or
 * `PB<id>` (before it); `Page` is informational when a token is given, else an offset.
 */
import type { EmuRequest } from './http.js';

export interface PageSlice<T> {
  items: T[];
  page: number;
  pageSize: number;
  start: number;
  /** Index of the page's last item (Twilio's `end`; equals `start` on an empty page). */
  end: number;
  nextToken?: string;
  previousToken?: string;
}

const PAGING_KEYS = new Set(['PageSize', 'Page', 'PageToken']);

function intParam(value: string | null, fallback: number): number {
  if (value === null || !/^\d+$/.test(value)) return fallback;
  return Number(value);
}

export function paginate<T>(
  query: URLSearchParams,
  all: T[],
  idOf: (item: T, index: number) => string,
  defaultPageSize = 50,
): PageSlice<T> {
  const pageSize = Math.min(1000, Math.max(1, intParam(query.get('PageSize'), defaultPageSize)));
  const page = intParam(query.get('Page'), 0);
  const token = query.get('PageToken') ?? '';
  let start = page * pageSize;
  const tokenId = token.slice(2);
  const tokenIndex = tokenId ? all.findIndex((item, i) => idOf(item, i) === tokenId) : -1;
  if (token.startsWith('PA') && tokenIndex >= 0) start = tokenIndex + 1;
  else if (token.startsWith('PB') && tokenIndex >= 0) start = Math.max(0, tokenIndex - pageSize);
  const items = all.slice(start, start + pageSize);
  const last = start + items.length;
  return {
    items,
    page,
    pageSize,
    start,
    end: items.length ? last - 1 : start,
    nextToken: last < all.length && items.length ? `PA${idOf(items[items.length - 1]!, last - 1)}` : undefined,
    previousToken: start > 0 && items.length ? `PB${idOf(items[0]!, start)}` : undefined,
  };
}

/** The request's query without paging keys, in order, to carry filters into page links. */
function filterPairs(query: URLSearchParams): [string, string][] {
  return [...query.entries()].filter(([k]) => !PAGING_KEYS.has(k));
}

function link(path: string, filters: [string, string][], pageSize: number, page: number, token?: string): string {
  const q = new URLSearchParams(filters);
  q.set('PageSize', String(pageSize));
  q.set('Page', String(page));
  if (token) q.set('PageToken', token);
  return `${path}?${q.toString()}`;
}

const defaultId = (item: unknown, index: number): string => {
  const rec = item as Record<string, unknown> | null;
  const id = rec && (rec.sid ?? rec.type ?? rec.id);
  return typeof id === 'string' ? id : String(index);
};

/** An API 2010 list page: `{ [key]: [...], page, page_size, uri, next_page_uri, ... }`. */
export function page2010<T>(
  req: Pick<EmuRequest, 'path' | 'query'>,
  all: T[],
  key: string,
  options: { idOf?: (item: T, index: number) => string; defaultPageSize?: number } = {},
): Record<string, unknown> {
  const slice = paginate(req.query, all, options.idOf ?? defaultId, options.defaultPageSize ?? 50);
  const filters = filterPairs(req.query);
  const token = req.query.get('PageToken') ?? undefined;
  return {
    [key]: slice.items,
    end: slice.end,
    first_page_uri: link(req.path, filters, slice.pageSize, 0),
    next_page_uri: slice.nextToken ? link(req.path, filters, slice.pageSize, slice.page + 1, slice.nextToken) : null,
    page: slice.page,
    page_size: slice.pageSize,
    previous_page_uri: slice.previousToken
      ? link(req.path, filters, slice.pageSize, Math.max(0, slice.page - 1), slice.previousToken)
      : null,
    start: slice.start,
    uri: link(req.path, filters, slice.pageSize, slice.page, token),
  };
}

/** A v1 list page: `{ [key]: [...], meta: { next_page_url, key, ... } }` with absolute URLs. */
export function pageV1<T>(
  req: Pick<EmuRequest, 'path' | 'query' | 'baseUrl'>,
  all: T[],
  key: string,
  options: { idOf?: (item: T, index: number) => string; defaultPageSize?: number } = {},
): Record<string, unknown> {
  const slice = paginate(req.query, all, options.idOf ?? defaultId, options.defaultPageSize ?? 50);
  const filters = filterPairs(req.query);
  const token = req.query.get('PageToken') ?? undefined;
  const abs = (path: string) => `${req.baseUrl}${path}`;
  return {
    [key]: slice.items,
    meta: {
      page: slice.page,
      page_size: slice.pageSize,
      first_page_url: abs(link(req.path, filters, slice.pageSize, 0)),
      previous_page_url: slice.previousToken
        ? abs(link(req.path, filters, slice.pageSize, Math.max(0, slice.page - 1), slice.previousToken))
        : null,
      url: abs(link(req.path, filters, slice.pageSize, slice.page, token)),
      next_page_url: slice.nextToken
        ? abs(link(req.path, filters, slice.pageSize, slice.page + 1, slice.nextToken))
        : null,
      key,
    },
  };
}
