/**
 * The write-ahead journal of every change twhook makes to an account: the values a number had
 * before twhook touched it, and the resources a session created and must delete. One JSON file
 * in the config folder (`journal.json`, 0600), replaced atomically on every change, so a crash at
 * any moment leaves either the previous journal or the next one, never a torn file.
 *
 * Write-ahead: an entry is written `pending` BEFORE the API call and marked `applied` after it,
 * so the values from before the change are on disk whatever happens to the process in between.
 *
 * Several twhook processes may run at once (a `dev` session and a `configure` in another
 * terminal): every read-modify-write holds `journal.lock` (src/state/lock.ts).
 *
 * Basic-auth passwords in URLs never reach the journal file: they are swapped for references to
 * `journal-secrets.json` (0600) on write and put back on read, so entries in memory hold the real
 * URLs a restore needs. Display code masks them with `maskUrl` (src/webhooks/url.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { NumberWebhooks } from '../twilio/port.js';
import { writeFileAtomic } from './atomic.js';
import { acquireLock, isPidAlive } from './lock.js';
import { replaceUrlPassword, urlCredentials } from './url-secrets.js';

export type EntryState = 'pending' | 'applied' | 'restored';
/** Which command made the change: `configure` changes are meant to last, `dev` changes are temporary. */
export type EntryOrigin = 'configure' | 'dev';

/** The process holding a temporary change (a running `dev` session). */
export interface EntryOwner {
  pid: number;
  host: string;
}

interface EntryBase {
  /** Short random hex id, what `twhook restore --id` takes (a unique prefix works too). */
  id: string;
  createdAt: string;
  updatedAt: string;
  accountSid: string;
  state: EntryState;
  origin: EntryOrigin;
  /** Shared by every entry one command run made: `restore` with no number undoes the newest batch. */
  batch: string;
  /** The `dev` session that made it. */
  session?: string;
  /** The live process that will restore it itself (dev). Absent for lasting changes. */
  owner?: EntryOwner;
  restoredAt?: string;
  /** Why the entry ended as it did ("restored by dev session …", "outcome unknown: …"). */
  note?: string;
  /** Its call timed out: Twilio may still apply it, so finding it not applied settles nothing yet. */
  timedOut?: boolean;
}

/** A change to a number's webhook fields. */
export interface NumberEntry extends EntryBase {
  kind: 'number';
  numberSid: string;
  phoneNumber: string;
  friendlyName?: string;
  /** The values of the fields twhook changed, as they were before; what a restore puts back. */
  before: Partial<NumberWebhooks>;
  /** The values twhook set (as Twilio returned them once applied). */
  after: Partial<NumberWebhooks>;
}

export type ResourceKind = 'event-sink' | 'event-subscription';

/** A resource a session created and a restore deletes. */
export interface ResourceEntry extends EntryBase {
  kind: ResourceKind;
  /** The created resource's SID; absent while pending (the create call has not answered yet). */
  sid?: string;
  /**
   * A unique string put in the resource's description before creating it, so a restore can
   * find a resource whose SID a crash kept out of the journal.
   */
  marker?: string;
  description?: string;
  /** Anything else the creator wants to show in `restore --list` (never secrets). */
  details?: Record<string, unknown>;
}

export type JournalEntry = NumberEntry | ResourceEntry;

type Distribute<T> = T extends unknown ? Omit<T, 'id' | 'createdAt' | 'updatedAt' | 'state' | 'restoredAt'> : never;
/** What `begin` takes: an entry without the fields the journal fills in. */
export type NewEntry = Distribute<JournalEntry>;

export interface EntryFilter {
  accountSid?: string;
  kind?: JournalEntry['kind'];
  numberSid?: string;
  origin?: EntryOrigin;
  session?: string;
  batch?: string;
  state?: EntryState | EntryState[];
}

interface JournalDoc {
  version: 1;
  entries: JournalEntry[];
}

const LOCK_WAIT_MS = 15_000;
/** Restored entries kept for `restore --list` history, newest first. */
const KEEP_RESTORED = 500;
const SECRET_REF = /\{twhook-secret:([0-9a-f]{16})\}/g;
const IS_SECRET_REF = /^\{twhook-secret:[0-9a-f]{16}\}$/;

export function newBatchId(): string {
  return randomBytes(6).toString('hex');
}

export function currentOwner(): EntryOwner {
  return { pid: process.pid, host: hostname() };
}

/** True when the process is running (on this host) or cannot be checked (another host). */
export function isOwnerAlive(owner: EntryOwner | undefined): boolean {
  if (!owner) return false;
  if (owner.host !== hostname()) return true;
  return isPidAlive(owner.pid);
}

function matches(entry: JournalEntry, f: EntryFilter): boolean {
  if (f.accountSid && entry.accountSid !== f.accountSid) return false;
  if (f.kind && entry.kind !== f.kind) return false;
  if (f.numberSid && (entry.kind !== 'number' || entry.numberSid !== f.numberSid)) return false;
  if (f.origin && entry.origin !== f.origin) return false;
  if (f.session && entry.session !== f.session) return false;
  if (f.batch && entry.batch !== f.batch) return false;
  if (f.state) {
    const states = Array.isArray(f.state) ? f.state : [f.state];
    if (!states.includes(entry.state)) return false;
  }
  return true;
}

export class Journal {
  readonly path: string;
  readonly secretsPath: string;
  readonly lockPath: string;
  private readonly now: () => Date;
  private readonly lockWaitMs: number;

  constructor(
    readonly configDir: string,
    options: { now?: () => Date; lockWaitMs?: number } = {},
  ) {
    this.lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
    this.path = join(configDir, 'journal.json');
    this.secretsPath = join(configDir, 'journal-secrets.json');
    this.lockPath = join(configDir, 'journal.lock');
    this.now = options.now ?? (() => new Date());
  }

  /** Every entry, oldest first. Reading needs no lock: the file is only ever replaced whole. */
  entries(filter: EntryFilter = {}): JournalEntry[] {
    return this.load().entries.filter((e) => matches(e, filter));
  }

  /** Entries not yet restored (pending or applied), oldest first. */
  unrestored(filter: EntryFilter = {}): JournalEntry[] {
    return this.entries({ ...filter, state: ['pending', 'applied'] });
  }

  /** The entry with this id or unique id prefix; a UsageError when none or several match. */
  get(idOrPrefix: string): JournalEntry {
    const wanted = idOrPrefix.trim().toLowerCase();
    const all = this.entries();
    const exact = all.find((e) => e.id === wanted);
    if (exact) return exact;
    const found = wanted.length >= 4 ? all.filter((e) => e.id.startsWith(wanted)) : [];
    if (found.length === 1) return found[0]!;
    if (found.length > 1)
      throw new UsageError(
        `backup id ${idOrPrefix} matches ${found.length} backups (${found.map((e) => e.id).join(', ')}): give more of it`,
      );
    throw new UsageError(`no backup ${idOrPrefix} in ${this.path}: run \`twhook restore --list\` to see them`);
  }

  /**
   * Writes a new entry as `pending`; call before the API call it records. `check` sees the entries
   * under the lock and may throw to refuse: a claim that no other process can race.
   */
  begin(entry: NewEntry, check?: (entries: readonly JournalEntry[]) => void): JournalEntry {
    const at = this.now().toISOString();
    return this.transaction((doc) => {
      check?.(doc.entries);
      let id = randomBytes(4).toString('hex');
      while (doc.entries.some((e) => e.id === id)) id = randomBytes(4).toString('hex');
      const full = { ...entry, id, createdAt: at, updatedAt: at, state: 'pending' } as JournalEntry;
      doc.entries.push(full);
      return full;
    });
  }

  /** Changes fields of an entry (never its id, kind or createdAt). */
  update(
    id: string,
    patch:
      | Partial<Omit<NumberEntry, 'id' | 'kind' | 'createdAt'>>
      | Partial<Omit<ResourceEntry, 'id' | 'kind' | 'createdAt'>>,
  ): JournalEntry {
    const at = this.now().toISOString();
    return this.transaction((doc) => {
      const i = doc.entries.findIndex((e) => e.id === id);
      if (i < 0) throw new Error(`journal entry ${id} is gone from ${this.path}`);
      const next = { ...doc.entries[i]!, ...patch, updatedAt: at } as JournalEntry;
      doc.entries[i] = next;
      return next;
    });
  }

  markApplied(
    id: string,
    patch: Partial<Pick<NumberEntry, 'after'>> | Partial<Pick<ResourceEntry, 'sid' | 'details'>> = {},
  ): JournalEntry {
    return this.update(id, { ...patch, state: 'applied' });
  }

  markRestored(ids: string[], note?: string): void {
    if (!ids.length) return;
    const at = this.now().toISOString();
    this.transaction((doc) => {
      for (const e of doc.entries) {
        if (!ids.includes(e.id)) continue;
        e.state = 'restored';
        e.restoredAt = at;
        e.updatedAt = at;
        delete e.owner;
        if (note) e.note = note;
      }
    });
  }

  /** Removes an entry whose change certainly never happened (Twilio refused the call). */
  discard(id: string): void {
    this.transaction((doc) => {
      doc.entries = doc.entries.filter((e) => e.id !== id);
    });
  }

  /**
   * Runs `fn` on the journal under the lock and writes what it leaves (also when it only reads:
   * the cost is one small file). `fn` must not do I/O of its own: the lock is held meanwhile.
   */
  transaction<T>(fn: (doc: JournalDoc) => T): T {
    const release = acquireLock(this.lockPath, {
      waitMs: this.lockWaitMs,
      busy: (pid: number | undefined) =>
        new UsageError(
          `the backup journal is locked by another twhook process${pid ? ` (pid ${pid})` : ''}: wait for it, or delete ${this.lockPath} if no twhook is running`,
        ),
    });
    try {
      const doc = this.load();
      const result = fn(doc);
      this.save(doc);
      return result;
    } finally {
      release();
    }
  }

  private load(): JournalDoc {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: [] };
      throw new UsageError(
        `cannot read the backup journal ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    let doc: JournalDoc;
    try {
      doc = JSON.parse(text) as JournalDoc;
    } catch (err) {
      // Never overwritten: it may be the only copy of a number's original configuration.
      throw new UsageError(
        `the backup journal ${this.path} is not valid (${(err as Error).message}): fix or move it aside; twhook will not overwrite it`,
      );
    }
    const version = (doc as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > 1) {
      // Valid, and holding backups this version cannot interpret: moving it aside would lose them.
      throw new UsageError(
        `the backup journal ${this.path} was written by a newer twhook (journal version ${version}): run that version or newer to use or restore it; twhook will not overwrite it`,
      );
    }
    if (version !== 1 || !Array.isArray(doc?.entries)) {
      throw new UsageError(
        `the backup journal ${this.path} is not valid (unknown layout): fix or move it aside; twhook will not overwrite it`,
      );
    }
    const secrets = this.loadSecrets();
    doc.entries = doc.entries.map((e) => this.unseal(e, secrets));
    return doc;
  }

  private save(doc: JournalDoc): void {
    // Keep all unrestored entries; trim old history.
    const restored = doc.entries.filter((e) => e.state === 'restored');
    if (restored.length > KEEP_RESTORED) {
      const drop = new Set(restored.slice(0, restored.length - KEEP_RESTORED).map((e) => e.id));
      doc.entries = doc.entries.filter((e) => !drop.has(e.id));
    }
    const secrets = this.loadSecrets();
    const used = new Map<string, string>();
    const sealed = doc.entries.map((e) => this.seal(e, secrets, used));
    // Secrets first: the journal on disk never refers to a password the secrets file lacks.
    if ([...used.keys()].some((k) => secrets[k] === undefined)) {
      writeFileAtomic(this.secretsPath, JSON.stringify({ ...secrets, ...Object.fromEntries(used) }, null, 1) + '\n');
    }
    writeFileAtomic(this.path, JSON.stringify({ version: 1, entries: sealed }, null, 1) + '\n');
    if (Object.keys(secrets).some((k) => !used.has(k))) {
      if (used.size) writeFileAtomic(this.secretsPath, JSON.stringify(Object.fromEntries(used), null, 1) + '\n');
      else rmSync(this.secretsPath, { force: true });
    }
  }

  private loadSecrets(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.secretsPath, 'utf8')) as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new UsageError(`cannot read ${this.secretsPath}: ${(err as Error).message}`);
    }
  }

  private mapUrls(entry: JournalEntry, fn: (url: string) => string): JournalEntry {
    if (entry.kind !== 'number') return entry;
    const map = (w: Partial<NumberWebhooks>) =>
      Object.fromEntries(
        Object.entries(w).map(([k, v]) => [k, typeof v === 'string' ? fn(v) : v]),
      ) as Partial<NumberWebhooks>;
    return { ...entry, before: map(entry.before), after: map(entry.after) };
  }

  private seal(entry: JournalEntry, secrets: Record<string, string>, used: Map<string, string>): JournalEntry {
    return this.mapUrls(entry, (url) => {
      const c = urlCredentials(url);
      if (!c || !c.password || IS_SECRET_REF.test(c.password)) return url;
      let ref =
        Object.keys(secrets).find((k) => secrets[k] === c.password) ?? [...used].find(([, v]) => v === c.password)?.[0];
      ref ??= randomBytes(8).toString('hex');
      used.set(ref, c.password);
      return replaceUrlPassword(url, `{twhook-secret:${ref}}`);
    });
  }

  private unseal(entry: JournalEntry, secrets: Record<string, string>): JournalEntry {
    return this.mapUrls(entry, (url) => url.replace(SECRET_REF, (whole, ref: string) => secrets[ref] ?? whole));
  }

  /** True when a journal file exists (for messages like "no backups yet"). */
  exists(): boolean {
    return existsSync(this.path);
  }
}
