/**
 * Changing a number's webhook fields with a write-ahead backup: the journal entry (with the
 * values from before) is on disk before the API call, and marked applied after it. Used by
 * `configure` and `dev`.
 */
import { RemoteError, UsageError } from '../errors.js';
import type { IncomingNumber, NumberField, NumberUpdate, NumberWebhooks, TwilioPort } from '../twilio/port.js';
import { NUMBER_FIELDS } from '../twilio/port.js';
import {
  isOwnerAlive,
  type EntryOrigin,
  type EntryOwner,
  type Journal,
  type JournalEntry,
  type NumberEntry,
} from './journal.js';

export interface NumberChange {
  port: TwilioPort;
  journal: Journal;
  /** The number as fetched just before the change: its fields are the values recorded as `before`. */
  number: IncomingNumber;
  /** The fields to set; `''` clears a URL. */
  update: NumberUpdate;
  origin: EntryOrigin;
  /** One id per command run (newBatchId()). */
  batch: string;
  session?: string;
  /** The live process that will restore this change itself (dev). */
  owner?: EntryOwner;
}

export interface AppliedChange {
  entry: NumberEntry;
  /** The number as Twilio returned it after the update. */
  number: IncomingNumber;
}

/** Twilio reports a cleared URL as null; an update clears it with ''. */
export function fieldValue(value: string | null | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

export function pickFields(number: NumberWebhooks, fields: readonly NumberField[]): Partial<NumberWebhooks> {
  const out: Record<string, string | null> = {};
  for (const f of fields) out[f] = fieldValue(number[f]);
  return out as Partial<NumberWebhooks>;
}

/** The fields an update touches, in Twilio's order. */
export function updateFields(update: NumberUpdate): NumberField[] {
  return NUMBER_FIELDS.filter((f) => update[f] !== undefined);
}

/**
 * The values to record as `before`: the number's current values, except where the current value
 * is one an unrestored `dev` session set. There the value from before that session is recorded,
 * so a restore never puts back a tunnel URL of a session that has ended (or will end).
 */
export function chainedBefore(
  journal: Journal,
  number: IncomingNumber,
  fields: readonly NumberField[],
  session?: string,
): Partial<NumberWebhooks> {
  const before = pickFields(number, fields) as Record<NumberField, string | null>;
  const devEntries = journal
    .unrestored({ kind: 'number', numberSid: number.sid, origin: 'dev' })
    .filter((e): e is NumberEntry => e.kind === 'number' && (!session || e.session !== session))
    .reverse();
  for (const f of fields) {
    const setter = devEntries.find((e) => f in e.after && f in e.before && fieldValue(e.after[f]) === before[f]);
    if (setter) before[f] = fieldValue(setter.before[f]);
  }
  return before as Partial<NumberWebhooks>;
}

function sameValues(number: NumberWebhooks, values: Partial<NumberWebhooks>): boolean {
  return (Object.keys(values) as NumberField[]).every((f) => fieldValue(number[f]) === fieldValue(values[f]));
}

/** The refusal for numbers another running `dev` session holds (its backups name the process). */
export function inUseError(held: NumberEntry[]): UsageError {
  const names = [
    ...new Set(
      held.map(
        (e) => `${e.phoneNumber} (twhook dev, pid ${e.owner!.pid}${e.owner!.host ? ` on ${e.owner!.host}` : ''})`,
      ),
    ),
  ];
  return new UsageError(
    `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} in use by another running twhook dev session: stop it first (it restores the number when it ends) or pick another number`,
  );
}

/** Unrestored `dev` changes of this number made by another process that is still running. */
function heldByOthers(entries: readonly JournalEntry[], numberSid: string, owner: EntryOwner): NumberEntry[] {
  return entries.filter(
    (e): e is NumberEntry =>
      e.kind === 'number' &&
      e.numberSid === numberSid &&
      e.origin === 'dev' &&
      e.state !== 'restored' &&
      !!e.owner &&
      !(e.owner.pid === owner.pid && e.owner.host === owner.host) &&
      isOwnerAlive(e.owner),
  );
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** Gateway errors: the gateway gave up on (or lost) the backend, which may still finish the request. */
const GATEWAY_STATUSES = new Set([502, 504]);

/**
 * The client, or Twilio's gateway, stopped waiting for an answer: Twilio may still be working on
 * the request and apply it later, so a fetch made now cannot prove it did not happen.
 */
export function mayStillApply(err: unknown): boolean {
  if (!(err instanceof RemoteError)) return false;
  if (err.info.service === 'network') return TIMEOUT_CODES.has(String(err.info.code));
  return err.info.service === 'twilio' && GATEWAY_STATUSES.has(Number(err.info.status));
}

/**
 * Records the change, makes it, marks it applied. When the API call fails, the number is
 * fetched again to learn what happened: unchanged after an answer (an error status, a closed
 * connection), the entry is removed (nothing half-written); changed, it is marked applied (a
 * restore undoes it); unknown (the fetch fails too, or the call or a Twilio gateway timed out and it may still land),
 * it stays pending with a note, and a restore puts the old values back either way. The error is
 * rethrown.
 */
export async function applyNumberChange(change: NumberChange): Promise<AppliedChange> {
  const { port, journal, number, update } = change;
  const fields = updateFields(update);
  const before = chainedBefore(journal, number, fields, change.session);
  const requested = Object.fromEntries(fields.map((f) => [f, fieldValue(update[f])])) as Partial<NumberWebhooks>;
  // A `dev` session claims the number in the same locked write as its backup: two sessions
  // starting at the same instant cannot both pass the check made before (prepareNumbersForSession).
  const owner = change.owner;
  const claim = owner
    ? (entries: readonly JournalEntry[]) => {
        const held = heldByOthers(entries, number.sid, owner);
        if (held.length) throw inUseError(held);
      }
    : undefined;
  const entry = journal.begin(
    {
      kind: 'number',
      accountSid: number.accountSid || port.accountSid,
      numberSid: number.sid,
      phoneNumber: number.phoneNumber,
      friendlyName: number.friendlyName,
      before,
      after: requested,
      origin: change.origin,
      batch: change.batch,
      ...(change.session ? { session: change.session } : {}),
      ...(change.owner ? { owner: change.owner } : {}),
    },
    claim,
  ) as NumberEntry;
  let updated: IncomingNumber;
  try {
    updated = await port.numbers.update(number.sid, update);
  } catch (err) {
    let now: IncomingNumber | undefined;
    try {
      now = await port.numbers.fetch(number.sid);
    } catch {
      /* outcome unknown */
    }
    if (now && !mayStillApply(err) && sameValues(now, pickFields(number, fields))) journal.discard(entry.id);
    else if (now && sameValues(now, requested)) journal.markApplied(entry.id, { after: pickFields(now, fields) });
    else
      journal.update(entry.id, {
        note: `outcome unknown: ${(err as Error).message}`.slice(0, 300),
        ...(mayStillApply(err) ? { timedOut: true } : {}),
      });
    throw err;
  }
  const applied = journal.markApplied(entry.id, { after: pickFields(updated, fields) }) as NumberEntry;
  return { entry: applied, number: updated };
}
