/**
 * Turns what a user types for a number (`+14155550100`, `PN…`, `0100`, `(415) 555-0100`) into
 * one IncomingNumber of the account, or a UsageError (exit 2) that says what was found.
 * Shared by `numbers show`, `configure`, `dev` and `restore`.
 */
import { RemoteError, UsageError } from '../errors.js';
import { maskSid } from '../redact.js';
import type { IncomingNumber, NumbersApi } from './port.js';

const PN_SID = /^PN[0-9a-fA-F]{32}$/;
const E164 = /^\+[1-9]\d{1,14}$/;

export type NumberQuery =
  { kind: 'sid'; sid: string } | { kind: 'e164'; phoneNumber: string } | { kind: 'digits'; digits: string };

/** Classifies an argument; throws a UsageError for what cannot name a number. */
export function parseNumberQuery(arg: string): NumberQuery {
  const text = arg.trim();
  if (PN_SID.test(text)) return { kind: 'sid', sid: text };
  if (/^PN/i.test(text)) throw new UsageError(`"${arg}" is not a phone number SID (PN followed by 32 hex digits)`);
  const compact = text.replace(/[\s().-]/g, '');
  if (E164.test(compact)) return { kind: 'e164', phoneNumber: compact };
  if (/^\+?\d+$/.test(compact) && compact.replace('+', '').length >= 2)
    return { kind: 'digits', digits: compact.replace('+', '') };
  throw new UsageError(`"${arg}" is neither a phone number (+E.164, or some of its digits) nor a PN SID`);
}

/** The numbers of `list` that the query names: exact for a SID or +E.164, a digit substring otherwise. */
export function matchNumbers(list: IncomingNumber[], query: NumberQuery): IncomingNumber[] {
  switch (query.kind) {
    case 'sid':
      return list.filter((n) => n.sid === query.sid);
    case 'e164':
      return list.filter((n) => n.phoneNumber === query.phoneNumber);
    case 'digits':
      return list.filter((n) => n.phoneNumber.replace(/\D/g, '').includes(query.digits));
  }
}

const describe = (n: IncomingNumber) =>
  n.friendlyName && n.friendlyName !== n.phoneNumber ? `${n.phoneNumber} (${n.friendlyName})` : n.phoneNumber;

/**
 * The one number `arg` names on the account. A PN SID is fetched; a number or digits are
 * looked up with Twilio's PhoneNumber filter. None or several matches are UsageErrors listing
 * what the account has.
 */
export async function resolveNumber(api: NumbersApi, accountSid: string, arg: string): Promise<IncomingNumber> {
  const query = parseNumberQuery(arg);
  const account = maskSid(accountSid);
  if (query.kind === 'sid') {
    try {
      return await api.fetch(query.sid);
    } catch (err) {
      if (err instanceof RemoteError && (err.info.status === 404 || err.info.code === 20404)) {
        throw new UsageError(
          `no number ${query.sid} on account ${account}: \`twhook numbers list\` shows the account's numbers`,
        );
      }
      throw err;
    }
  }
  const filter = query.kind === 'e164' ? query.phoneNumber : query.digits;
  const matches = matchNumbers(await api.list({ phoneNumber: filter }), query);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const shown = query.kind === 'e164' ? query.phoneNumber : `matching "${arg.trim()}"`;
    throw new UsageError(
      `no number ${shown} on account ${account}: \`twhook numbers list\` shows the account's numbers`,
    );
  }
  const listed = matches.slice(0, 10).map(describe).join(', ');
  const more = matches.length > 10 ? ` and ${matches.length - 10} more` : '';
  throw new UsageError(
    `"${arg.trim()}" matches ${matches.length} numbers: ${listed}${more}; pass the full +E.164 number or the PN SID`,
  );
}
