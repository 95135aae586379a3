/**
 * Numbers as users type them, for `configure`: +E.164, PN SID or digits go through the shared
 * resolver (src/twilio/resolve-number.ts); anything else is looked for in the numbers' friendly
 * names ("support", "London line").
 */
import { UsageError } from '../../errors.js';
import { parseNumberQuery, resolveNumber } from '../../twilio/resolve-number.js';
import type { IncomingNumber, TwilioPort } from '../../twilio/port.js';
import { maskSid } from '../../redact.js';

function looksLikeNumber(ref: string): boolean {
  try {
    parseNumberQuery(ref);
    return true;
  } catch {
    return /^PN/i.test(ref.trim()) || /^[+\d\s().-]+$/.test(ref.trim());
  }
}

async function byName(port: TwilioPort, ref: string, all: () => Promise<IncomingNumber[]>): Promise<IncomingNumber> {
  const wanted = ref.trim().toLowerCase();
  const named = (await all()).filter((n) => n.friendlyName.toLowerCase().includes(wanted));
  const exact = named.filter((n) => n.friendlyName.toLowerCase() === wanted);
  if (exact.length === 1) return exact[0]!;
  if (named.length === 1) return named[0]!;
  const account = maskSid(port.accountSid);
  if (named.length > 1) {
    const listed = named
      .slice(0, 10)
      .map((n) => `${n.phoneNumber} (${n.friendlyName})`)
      .join(', ');
    throw new UsageError(
      `"${ref.trim()}" matches ${named.length} numbers by name: ${listed}; pass the full +E.164 number or the PN SID`,
    );
  }
  throw new UsageError(
    `no number named "${ref.trim()}" on account ${account}: give it as +E.164, PN SID or digits; \`twhook numbers list\` shows the account's numbers`,
  );
}

/** Resolves several references, in order, without duplicates. */
export async function resolveNumbers(port: TwilioPort, refs: string[]): Promise<IncomingNumber[]> {
  let cached: Promise<IncomingNumber[]> | undefined;
  const all = () => (cached ??= port.numbers.list());
  const out: IncomingNumber[] = [];
  for (const ref of refs) {
    // An empty name would match every friendly name: `configure "$UNSET" --yes` must not pick one.
    if (!ref.trim())
      throw new UsageError('a number is empty (an unset variable?): give +E.164, a PN SID, digits or a name');
    const number = looksLikeNumber(ref)
      ? await resolveNumber(port.numbers, port.accountSid, ref)
      : await byName(port, ref, all);
    if (!out.some((n) => n.sid === number.sid)) out.push(number);
  }
  return out;
}
