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
import { CookieJar, type SerializedCookieJar } from 'tough-cookie';
import { writeFileAtomic } from '../state/atomic.js';

/** Twilio forgets a messaging conversation's cookies four hours after its last message. */
export const CONVERSATION_TTL_MS = 4 * 60 * 60 * 1000;

export function newJar(): CookieJar {
  return new CookieJar(undefined, { looseMode: true, rejectPublicSuffixes: false, allowSpecialUseDomain: true });
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
