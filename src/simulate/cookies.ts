/**
 * Cookies the way Twilio keeps them (https://www.twilio.com/docs/usage/webhooks/voice-webhooks,
 * "Twilio is a well-behaved HTTP client"): within a call, every request carries the cookies the
 * app set earlier in that call; for messaging, cookies live per From/To pair for four hours, so an
 * SMS bot can keep a conversation's state in a cookie. tough-cookie does the jar (RFC 6265 domain,
 * path, expiry); this file only decides which jar a request uses and keeps messaging jars across
 * runs in one file (atomic writes, mode 0600: cookies can hold session ids).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CookieJar, type Cookie, type SerializedCookieJar } from 'tough-cookie';
import { writeFileAtomic } from '../state/atomic.js';

/** Twilio forgets a messaging conversation's cookies four hours after its last message. */
export const CONVERSATION_TTL_MS = 4 * 60 * 60 * 1000;

export function newJar(): CookieJar {
  const jar = new CookieJar(undefined, { looseMode: true, rejectPublicSuffixes: false, allowSpecialUseDomain: true });
  known.set(jar, { simple: true, empty: true, headers: new Map(), setBy: new Map(), lastSet: new Map(), history: '' });
  return jar;
}

/**
 * What the simulator knows of a jar it made (newJar) and has filled only through storeCookies: a
 * call asks tough-cookie the same question on every request, and most apps set one session cookie
 * with Path=/ on every answer. While every cookie in the jar is such a cookie (path '/', no
 * Expires or Max-Age), the Cookie header tough-cookie gives depends only on the scheme and host:
 * it is remembered per origin until the jar changes. A Set-Cookie line the same context stored
 * last for its cookie (the same session cookie again) changes nothing and is not stored again.
 * Anything else goes to tough-cookie, which stays the jar.
 */
interface JarState {
  /** Every cookie stored has path '/' and no expiry. */
  simple: boolean;
  /** Nothing stored yet. */
  empty: boolean;
  /** Cookie header by origin (scheme://host:port), while simple. */
  headers: Map<string, string>;
  /** Context+line -> the cookie (domain, path, name) it stored, for session cookies. */
  setBy: Map<string, string>;
  /** Cookie (domain, path, name) -> the context+line that stored it last. */
  lastSet: Map<string, string>;
  /**
   * Every context+line the jar stored, in order, while each can be told by its context and line;
   * undefined once one cannot. Two such jars with the same history hold the same cookies, in the
   * same order: while simple, they send the same header to an origin.
   */
  history: string | undefined;
}

const known = new WeakMap<CookieJar, JarState>();

/** Cookie headers by origin and history, shared by every call: each call's jar fills the same way. */
const headersByHistory = new Map<string, string>();

/** The Cookie header for a request to `url` (empty when none applies or tough-cookie cannot place the URL). */
export function cookieHeader(jar: CookieJar, url: string): string {
  const state = known.get(jar);
  if (state?.empty) return '';
  const origin = state?.simple ? originOf(url) : undefined;
  const shared = origin !== undefined && state!.history !== undefined ? `${origin}\u0001${state!.history}` : undefined;
  if (origin !== undefined) {
    let header = state!.headers.get(origin);
    if (header === undefined && shared !== undefined) {
      header = headersByHistory.get(shared);
      if (header !== undefined) state!.headers.set(origin, header);
    }
    if (header !== undefined) return header;
  }
  let header = '';
  try {
    header = jar.getCookieStringSync(url);
  } catch {
    // A URL tough-cookie cannot place: no cookies.
  }
  if (origin !== undefined) state!.headers.set(origin, header);
  if (shared !== undefined) {
    if (headersByHistory.size >= 1024) headersByHistory.clear();
    headersByHistory.set(shared, header);
  }
  return header;
}

/** Stores an answer's Set-Cookie lines; a cookie tough-cookie refuses is ignored, as Twilio ignores it. */
export function storeCookies(jar: CookieJar, setCookie: string | string[] | undefined, url: string): void {
  if (setCookie === undefined) return;
  const state = known.get(jar);
  const context = state ? setContext(url) : undefined;
  for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
    const key = context === undefined ? undefined : `${context}\n${line}`;
    if (key !== undefined) {
      const id = state!.setBy.get(key);
      if (id !== undefined && state!.lastSet.get(id) === key) continue;
    }
    let cookie: Cookie | undefined;
    try {
      cookie = jar.setCookieSync(line, url);
    } catch {
      continue;
    }
    if (!state) continue;
    state.empty = false;
    state.headers.clear();
    state.history =
      key !== undefined && cookie && state.history !== undefined ? `${state.history}\u0000${key}` : undefined;
    if (!cookie) continue;
    const persistent = cookie.isPersistent();
    if (persistent || cookie.path !== '/') state.simple = false;
    const id = `${cookie.domain}\n${cookie.path}\n${cookie.key}`;
    if (key !== undefined && !persistent) {
      state.setBy.set(key, id);
      state.lastSet.set(id, key);
    } else {
      state.lastSet.delete(id);
    }
  }
}

const ORIGIN = /^([a-z][a-z0-9+.-]*:\/\/[^/?#\\]*)/i;

function originOf(url: string): string | undefined {
  return ORIGIN.exec(url)?.[1];
}

/**
 * What tough-cookie reads from a URL when it stores a cookie (scheme, host, the path's directory
 * for a default Path), as a string; undefined when the path could normalise to another directory.
 */
function setContext(url: string): string | undefined {
  const origin = originOf(url);
  if (origin === undefined) return undefined;
  let end = url.length;
  for (let i = origin.length; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  const path = url.slice(origin.length, end);
  if (path.includes('/.') || path.includes('%') || path.includes('\\')) return undefined;
  return origin + path.slice(0, path.lastIndexOf('/') + 1);
}

/** Where `twhook text` keeps conversations between runs: `<config dir>/simulate/conversations.json`. */
export function conversationJarPath(configDir: string): string {
  return join(configDir, 'simulate', 'conversations.json');
}

interface StoredConversation {
  /** ms since the epoch of the last message. */
  updated: number;
  jar: SerializedCookieJar | undefined;
}

interface ConversationFile {
  version: 1;
  conversations: Record<string, StoredConversation>;
}

function conversationKey(from: string, to: string): string {
  return `${from}|${to}`;
}

function readConversations(file: string): ConversationFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ConversationFile>;
    if (parsed && parsed.version === 1 && parsed.conversations && typeof parsed.conversations === 'object') {
      return {
        version: 1,
        conversations: Object.assign(Object.create(null), parsed.conversations) as Record<string, StoredConversation>,
      };
    }
  } catch {
    // Missing or unreadable: start afresh (a torn file cannot happen: writes are atomic).
  }
  return { version: 1, conversations: Object.create(null) as Record<string, StoredConversation> };
}

/**
 * The jar of one messaging conversation (From/To pair). With a file, the conversation continues
 * from an earlier run if its last message was under four hours ago; `save()` writes it back
 * (dropping conversations that have expired). Without a file, it lives for this run.
 */
export interface ConversationJar {
  jar: CookieJar;
  /** True when cookies from an earlier run were loaded. */
  resumed: boolean;
  save(now?: Date): void;
}

export function conversationJar(options: {
  file?: string;
  from: string;
  to: string;
  fresh?: boolean;
  now?: Date;
}): ConversationJar {
  const now = (options.now ?? new Date()).getTime();
  const key = conversationKey(options.from, options.to);
  let jar = newJar();
  let resumed = false;
  if (options.file && !options.fresh) {
    const stored = readConversations(options.file).conversations[key];
    if (stored && now - stored.updated < CONVERSATION_TTL_MS) {
      try {
        jar = CookieJar.deserializeSync(stored.jar as SerializedCookieJar);
        resumed = true;
      } catch {
        jar = newJar();
      }
    }
  }
  return {
    jar,
    resumed,
    save(at = new Date()) {
      if (!options.file) return;
      const file = readConversations(options.file);
      const time = at.getTime();
      for (const [k, stored] of Object.entries(file.conversations)) {
        if (time - stored.updated >= CONVERSATION_TTL_MS) delete file.conversations[k];
      }
      file.conversations[key] = { updated: time, jar: jar.serializeSync() };
      writeFileAtomic(options.file, JSON.stringify(file, null, 2) + '\n');
    },
  };
}

/** Forgets one conversation (`twhook text --new-conversation`), or every one without from/to. */
export function forgetConversation(file: string, from?: string, to?: string): void {
  const stored = readConversations(file);
  if (from === undefined || to === undefined)
    stored.conversations = Object.create(null) as Record<string, StoredConversation>;
  else delete stored.conversations[conversationKey(from, to)];
  writeFileAtomic(file, JSON.stringify(stored, null, 2) + '\n');
}
