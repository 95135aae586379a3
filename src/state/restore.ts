/**
 * Putting back what the journal holds: the restore engine of `twhook restore` and of `dev`
 * (at the end of a session, and before a new one on numbers an ended session left changed).
 *
 * Numbers: for each number, the given entries are undone newest first, which comes down to one
 * update per number setting each field to the `before` of the oldest entry that touched it.
 * Resources a session created (Event Streams sinks and subscriptions) are deleted.
 * Every number and resource is attempted; the report says exactly which were restored and which
 * failed, and failed entries stay unrestored for the next attempt.
 */
import { RemoteError } from '../errors.js';
import type { IncomingNumber, NumberField, NumberUpdate, TwilioPort } from '../twilio/port.js';
import { NUMBER_FIELDS } from '../twilio/port.js';
import { maskSid } from '../redact.js';
import {
  currentOwner,
  isOwnerAlive,
  type EntryFilter,
  type Journal,
  type JournalEntry,
  type NumberEntry,
  type ResourceEntry,
  type ResourceKind,
} from './journal.js';
import { fieldValue, inUseError } from './number-change.js';

export type RestoreMode = 'force' | 'if-unchanged';

export interface RestoreOptions {
  /**
   * `force` puts every recorded field back. `if-unchanged` (the default) leaves a field that no
   * longer holds what twhook set (someone changed it since: the Console, the API, a `configure`
   * during a `dev` session) and reports it as kept: a restore never silently undoes a newer change.
   */
  mode?: RestoreMode;
  /**
   * Keep the entries of a number with kept fields open (`twhook restore`), so a later
   * `restore --force` can still put the backup's values back. Without it they are closed: a `dev`
   * session's temporary values give way to the newer change for good.
   */
  leaveKeptOpen?: boolean;
  /** Work out and report what would change; change nothing. */
  dryRun?: boolean;
  /** Noted on the restored entries. */
  note?: string;
  signal?: AbortSignal;
  /**
   * For the process that just made the entries: a pending entry whose call timed out may be of a
   * request Twilio has not finished, so finding nothing to undo proves nothing; it stays open
   * (reported as failed) for a later `twhook restore`. Without it, such an entry is closed.
   */
  keepTimedOut?: boolean;
}

export interface FieldChange {
  field: NumberField;
  /** The value now (before the restore). */
  from: string | null;
  /** The value put back. */
  to: string | null;
}

/** A field left alone: it no longer holds what twhook set. */
export interface KeptField {
  field: NumberField;
  /** What twhook set (the newest backup's `after`). */
  set: string | null;
  /** What the number holds now, which stays. */
  current: string | null;
  /** What the backup holds: what a forced restore puts back. */
  backup: string | null;
}

export type RestoreStatus = 'restored' | 'unchanged' | 'failed' | 'planned';

export interface NumberRestore {
  kind: 'number';
  accountSid: string;
  numberSid: string;
  phoneNumber: string;
  entryIds: string[];
  /** restored: the update was made; unchanged: it already had those values; planned: dry run. */
  status: RestoreStatus;
  changes: FieldChange[];
  kept: KeptField[];
  error?: string;
}

export interface ResourceRestore {
  kind: ResourceKind;
  accountSid: string;
  sid?: string;
  description?: string;
  entryIds: string[];
  /** restored: deleted now; unchanged: it was already gone. */
  status: RestoreStatus;
  error?: string;
}

export type RestoreResult = NumberRestore | ResourceRestore;

export interface RestoreReport {
  results: RestoreResult[];
  restored: RestoreResult[];
  failed: RestoreResult[];
}

/**
 * Newest first, by the journal's own order: entries are appended under the lock, so the later one
 * is the newer. Timestamps cannot decide it: two can share one clock tick (a fixed clock), and a
 * clock stepped back (NTP, a resumed VM) would make a newer backup look older, so a restore would
 * end at the values in between instead of the original.
 */
export function newestFirstIn(journal: Journal): (a: JournalEntry, b: JournalEntry) => number {
  const position = new Map(journal.entries().map((e, i) => [e.id, i]));
  return (a, b) => (position.get(b.id) ?? -1) - (position.get(a.id) ?? -1);
}

/** Unrestored entries (pending or applied), oldest first. */
export function findUnrestored(journal: Journal, filter: Omit<EntryFilter, 'state'> = {}): JournalEntry[] {
  return journal.unrestored(filter);
}

/**
 * The entries plus every newer unrestored entry on the same numbers: restoring an older backup
 * on its own would leave the newer ones recording values that are no longer there.
 */
export function expandRestoreSet(journal: Journal, entries: JournalEntry[]): JournalEntry[] {
  const ids = new Set(entries.map((e) => e.id));
  const out = [...entries];
  const newestFirst = newestFirstIn(journal);
  for (const e of entries) {
    if (e.kind !== 'number') continue;
    for (const other of journal.unrestored({ kind: 'number', numberSid: e.numberSid, accountSid: e.accountSid })) {
      if (!ids.has(other.id) && newestFirst(other, e) < 0) {
        ids.add(other.id);
        out.push(other);
      }
    }
  }
  return out;
}

/** The newest batch (one command run) that still has unrestored entries. */
export function newestUnrestoredBatch(journal: Journal, filter: Omit<EntryFilter, 'state'> = {}): JournalEntry[] {
  const open = journal.unrestored(filter).sort(newestFirstIn(journal));
  if (!open.length) return [];
  const batch = open[0]!.batch;
  return open.filter((e) => e.batch === batch);
}

/** Entries held by another running `dev` process. */
export function liveEntries(entries: JournalEntry[]): JournalEntry[] {
  const me = currentOwner();
  return entries.filter(
    (e) => e.owner && !(e.owner.pid === me.pid && e.owner.host === me.host) && isOwnerAlive(e.owner),
  );
}

/** What Journal leaves in a URL for a password missing from journal-secrets.json. */
const UNRESOLVED_SECRET = /\{twhook-secret:[0-9a-f]{16}\}/;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isNotFound(err: unknown): boolean {
  return err instanceof RemoteError && (err.info.status === 404 || err.info.code === 20404);
}

/**
 * Closes the result's entries. A journal that cannot be written (a full disk, a lock held too
 * long) must not stop the restore of the other numbers: the result is reported failed and its
 * entries stay open, which the next restore finds already done and closes.
 */
function recordRestored<T extends RestoreResult>(journal: Journal, result: T, options: RestoreOptions): T {
  try {
    journal.markRestored(result.entryIds, options.note);
  } catch (err) {
    const done = result.status === 'restored' ? 'restored on Twilio' : 'nothing to restore on Twilio';
    result.status = 'failed';
    result.error = `${done}, but the journal could not record it: ${errorText(err)}`;
  }
  return result;
}

async function restoreNumber(
  port: TwilioPort,
  journal: Journal,
  entries: NumberEntry[],
  options: RestoreOptions,
): Promise<NumberRestore> {
  const sorted = [...entries].sort(newestFirstIn(journal));
  const first = sorted[0]!;
  const mode: RestoreMode = options.mode ?? 'if-unchanged';
  const result: NumberRestore = {
    kind: 'number',
    accountSid: first.accountSid,
    numberSid: first.numberSid,
    phoneNumber: first.phoneNumber,
    entryIds: sorted.map((e) => e.id),
    status: 'failed',
    changes: [],
    kept: [],
  };
  // Oldest entry touching a field wins: undoing newest first ends at its `before`.
  const target = new Map<NumberField, string | null>();
  const lastSet = new Map<NumberField, string | null>();
  for (const e of sorted) {
    for (const f of NUMBER_FIELDS) {
      if (f in e.before) target.set(f, fieldValue(e.before[f]));
      if (f in e.after && !lastSet.has(f)) lastSet.set(f, fieldValue(e.after[f]));
    }
  }
  if (first.accountSid !== port.accountSid) {
    result.error = `this backup is of account ${maskSid(first.accountSid)}, the credentials are of ${maskSid(port.accountSid)}: run with that account's credentials`;
    return result;
  }
  // A password reference the journal could not resolve (the secrets file lost or older than the
  // journal): sending it would set a URL with a wrong password in place of the original.
  const unresolved = [...target].filter(([, to]) => to !== null && UNRESOLVED_SECRET.test(to)).map(([field]) => field);
  if (unresolved.length) {
    result.error = `the basic-auth password of the ${unresolved.join(', ')} to put back is missing from ${journal.secretsPath}: put that file back and run \`twhook restore\` again`;
    return result;
  }
  let current: IncomingNumber;
  try {
    current = await port.numbers.fetch(first.numberSid);
  } catch (err) {
    result.error = isNotFound(err)
      ? `${first.phoneNumber} (${first.numberSid}) is no longer on account ${maskSid(first.accountSid)}`
      : errorText(err);
    return result;
  }
  result.phoneNumber = current.phoneNumber;
  const update: NumberUpdate = {};
  for (const [field, to] of target) {
    const from = fieldValue(current[field]);
    if (from === to) continue;
    // A method cannot be cleared; Twilio's default (POST) applies when it was never set.
    if (to === null && field.endsWith('Method')) continue;
    if (mode === 'if-unchanged' && lastSet.has(field) && from !== lastSet.get(field)) {
      result.kept.push({ field, set: lastSet.get(field)!, current: from, backup: to });
      continue;
    }
    update[field] = to ?? '';
    result.changes.push({ field, from, to });
  }
  if (options.dryRun) {
    result.status = 'planned';
    return result;
  }
  if (result.changes.length) {
    try {
      await port.numbers.update(first.numberSid, update);
    } catch (err) {
      result.error = errorText(err);
      return result;
    }
    result.status = 'restored';
  } else if (options.keepTimedOut && sorted.some((e) => e.state === 'pending' && e.timedOut)) {
    result.error = 'Twilio did not confirm a change to it in time and may still apply it';
    return result;
  } else {
    result.status = 'unchanged';
  }
  if (result.kept.length && options.leaveKeptOpen) return result;
  return recordRestored(journal, result, options);
}

async function restoreResource(
  port: TwilioPort,
  journal: Journal,
  entry: ResourceEntry,
  options: RestoreOptions,
): Promise<ResourceRestore> {
  const result: ResourceRestore = {
    kind: entry.kind,
    accountSid: entry.accountSid,
    sid: entry.sid,
    description: entry.description,
    entryIds: [entry.id],
    status: 'failed',
  };
  if (entry.accountSid !== port.accountSid) {
    result.error = `this backup is of account ${maskSid(entry.accountSid)}, the credentials are of ${maskSid(port.accountSid)}: run with that account's credentials`;
    return result;
  }
  const api = entry.kind === 'event-sink' ? port.events.sinks : port.events.subscriptions;
  try {
    let sids = entry.sid ? [entry.sid] : [];
    if (!entry.sid) {
      // Created, maybe, by a process that died (or a call that timed out) before it learnt the
      // SID: find it by its marker, or as the new one with its description (`sinks create`).
      const existing = Array.isArray(entry.details?.existingSids)
        ? (entry.details.existingSids as string[])
        : undefined;
      if (!entry.marker && !(existing && entry.description)) {
        result.error = 'its SID was never recorded and it has no marker to find it by';
        return result;
      }
      const all: { sid: string; description: string }[] = await api.list();
      sids = all
        .filter((r) =>
          entry.marker
            ? r.description.includes(entry.marker)
            : r.description === entry.description && !existing!.includes(r.sid),
        )
        .map((r) => r.sid);
      result.sid = sids[0];
    }
    if (options.dryRun) {
      // Looked up, so the plan says what the real run will: deleted, or already gone.
      let exists = false;
      for (const sid of sids) {
        try {
          await api.fetch(sid);
          exists = true;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      result.status = exists ? 'planned' : 'unchanged';
      return result;
    }
    let deleted = false;
    for (const sid of sids) {
      try {
        await api.remove(sid);
        deleted = true;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (!deleted && options.keepTimedOut && entry.state === 'pending' && entry.timedOut) {
      result.error = 'Twilio did not confirm its creation in time and may still create it';
      return result;
    }
    result.status = deleted ? 'restored' : 'unchanged';
  } catch (err) {
    result.error = errorText(err);
    return result;
  }
  return recordRestored(journal, result, options);
}

/**
 * Restores the given entries (already-restored ones are skipped). Subscriptions are deleted
 * before sinks (Twilio refuses to delete a sink in use), then numbers are put back.
 */
export async function restoreEntries(
  port: TwilioPort,
  journal: Journal,
  entries: JournalEntry[],
  options: RestoreOptions = {},
): Promise<RestoreReport> {
  const fresh = new Map(journal.entries().map((e) => [e.id, e]));
  const open = entries.map((e) => fresh.get(e.id) ?? e).filter((e) => e.state !== 'restored');
  const results: RestoreResult[] = [];
  const order: ResourceKind[] = ['event-subscription', 'event-sink'];
  for (const kind of order) {
    for (const e of open.filter((x): x is ResourceEntry => x.kind === kind).sort(newestFirstIn(journal))) {
      if (options.signal?.aborted) break;
      results.push(await restoreResource(port, journal, e, options));
    }
  }
  const byNumber = new Map<string, NumberEntry[]>();
  for (const e of open) {
    if (e.kind !== 'number') continue;
    const key = `${e.accountSid}/${e.numberSid}`;
    byNumber.set(key, [...(byNumber.get(key) ?? []), e]);
  }
  for (const group of byNumber.values()) results.push(await restoreNumber(port, journal, group, options));
  return {
    results,
    restored: results.filter((r) => r.status === 'restored' || r.status === 'unchanged'),
    failed: results.filter((r) => r.status === 'failed'),
  };
}

/**
 * Before a `dev` session takes these numbers: refuses (UsageError) when another running session
 * holds one of them, and restores what an ended session left (only fields still holding its
 * URLs), so the new session records the numbers' real configuration as `before`.
 */
export async function prepareNumbersForSession(
  port: TwilioPort,
  journal: Journal,
  numbers: { sid: string; phoneNumber: string }[],
  options: { signal?: AbortSignal } = {},
): Promise<RestoreReport> {
  const open = numbers.flatMap((n) =>
    journal.unrestored({ kind: 'number', numberSid: n.sid, origin: 'dev', accountSid: port.accountSid }),
  );
  const live = liveEntries(open);
  if (live.length) throw inUseError(live as NumberEntry[]);
  if (!open.length) return { results: [], restored: [], failed: [] };
  return restoreEntries(port, journal, open, {
    mode: 'if-unchanged',
    note: 'restored before a new dev session (the previous one ended without restoring)',
    signal: options.signal,
  });
}

/** Entries of ended `dev` sessions on these numbers (for configure's note and recovery). */
export function staleSessionEntries(journal: Journal, accountSid: string, numberSids: string[]): JournalEntry[] {
  const open = numberSids.flatMap((sid) =>
    journal.unrestored({ kind: 'number', numberSid: sid, origin: 'dev', accountSid }),
  );
  const live = new Set(liveEntries(open).map((e) => e.id));
  return open.filter(
    (e) => !live.has(e.id) && !(e.owner && e.owner.pid === currentOwner().pid && e.owner.host === currentOwner().host),
  );
}
