/**
 * Turns what a user types for a number (+E.164, a PN SID, some digits, or part of its name) into
 * the account's IncomingPhoneNumbers: exactly one each, or a UsageError that names the account
 * and lists the candidates.
 */
import { RemoteError, UsageError } from '../../errors.js';
import type { IncomingNumber, TwilioPort } from '../../twilio/port.js';
import { maskSid } from '../../ui/mask.js';

const PN_SID = /^PN[0-9a-fA-F]{32}$/;

function candidates(list: IncomingNumber[]): string {
  const shown = list.slice(0, 10).map((n) => `${n.phoneNumber}${n.friendlyName && n.friendlyName !== n.phoneNumber ? ` (${n.friendlyName})` : ''}`);
  return shown.join(', ') + (list.length > 10 ? `, and ${list.length - 10} more` : '');
}

/** Resolves one reference; `all` is the account's number list when already fetched. */
export async function resolveNumber(port: TwilioPort, ref: string, all?: () => Promise<IncomingNumber[]>): Promise<IncomingNumber> {
  const account = maskSid(port.accountSid);
  const text = ref.trim();
  if (PN_SID.test(text)) {
    try {
      return await port.numbers.fetch(text);
    } catch (err) {
      if (err instanceof RemoteError && (err.info.status === 404 || err.info.code === 20404)) {
        throw new UsageError(`no number ${text} on account ${account}: run \`twhook numbers list\` to see the account's numbers`);
      }
      throw err;
    }
  }
  const compact = text.replace(/[\s().-]/g, '');
  if (/^\+?\d+$/.test(compact)) {
    if (compact.replace('+', '').length < 3) throw new UsageError(`"${ref}" is too short to find a number: give it in E.164 (+15551234567), a PN SID, or at least 3 digits`);
    const list = await port.numbers.list({ phoneNumber: compact });
    const exact = list.filter((n) => n.phoneNumber === compact || n.phoneNumber === `+${compact}`);
    if (exact.length === 1) return exact[0]!;
    if (list.length === 1) return list[0]!;
    if (list.length > 1) throw new UsageError(`"${ref}" matches ${list.length} numbers on account ${account}: ${candidates(list)}; give the whole number`);
    throw new UsageError(`no number ${compact} on account ${account}: run \`twhook numbers list\` to see the account's numbers`);
  }
  const wanted = text.toLowerCase();
  const numbers = all ? await all() : await port.numbers.list();
  const named = numbers.filter((n) => n.friendlyName.toLowerCase().includes(wanted));
  const exact = named.filter((n) => n.friendlyName.toLowerCase() === wanted);
  if (exact.length === 1) return exact[0]!;
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new UsageError(`"${ref}" matches ${named.length} numbers on account ${account}: ${candidates(named)}; give the number itself`);
  throw new UsageError(`no number "${ref}" on account ${account}: give it in E.164 (+15551234567) or as a PN SID; \`twhook numbers list\` shows them`);
}

/** Resolves several references, in order, without duplicates. */
export async function resolveNumbers(port: TwilioPort, refs: string[]): Promise<IncomingNumber[]> {
  let cached: Promise<IncomingNumber[]> | undefined;
  const all = () => (cached ??= port.numbers.list());
  const out: IncomingNumber[] = [];
  for (const ref of refs) {
    const number = await resolveNumber(port, ref, all);
    if (!out.some((n) => n.sid === number.sid)) out.push(number);
  }
  return out;
}
