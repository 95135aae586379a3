/**
 * Messaging Services (messaging.twilio.com/v1), in twhook's own types: which service a number
 * belongs to, and whether the service's inbound settings replace the number's SMS URL. Built on
 * the SDK client src/twilio/client.ts passes in (type imports only here).
 */
import type { Twilio } from 'twilio';
import { toRemoteError } from './errors.js';

export interface MessagingService {
  sid: string;
  friendlyName: string;
  inboundRequestUrl: string | null;
  /** When false, the service's inbound settings replace the SMS URL of its numbers. */
  useInboundWebhookOnNumber: boolean;
}

export interface ServicePhoneNumber {
  /** The PN SID of the number. */
  sid: string;
  phoneNumber: string;
}

export interface MessagingApi {
  listServices(): Promise<MessagingService[]>;
  /** The phone numbers (PN SIDs and E.164) in a service's sender pool. */
  listServicePhoneNumbers(serviceSid: string): Promise<ServicePhoneNumber[]>;
}

/** The largest page messaging.twilio.com serves. */
const PAGE_SIZE = 1000;

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toRemoteError(err);
  }
}

/** Built by src/twilio/client.ts from the SDK client. */
export function createMessagingApi(client: Twilio): MessagingApi {
  return {
    listServices: () =>
      call(async () =>
        (await client.messaging.v1.services.list({ pageSize: PAGE_SIZE })).map((s) => ({
          sid: s.sid,
          friendlyName: s.friendlyName ?? '',
          inboundRequestUrl: s.inboundRequestUrl || null,
          useInboundWebhookOnNumber: s.useInboundWebhookOnNumber === true,
        })),
      ),
    listServicePhoneNumbers: (serviceSid) =>
      call(async () =>
        (await client.messaging.v1.services(serviceSid).phoneNumbers.list({ pageSize: PAGE_SIZE })).map((p) => ({
          sid: p.sid,
          phoneNumber: p.phoneNumber,
        })),
      ),
  };
}

/**
 * The Messaging Service each of these numbers belongs to (a number is in at most one), by PN SID.
 * One call for the services and one per service.
 */
export async function servicesOfNumbers(
  api: MessagingApi,
  numberSids: string[],
): Promise<Map<string, MessagingService>> {
  const wanted = new Set(numberSids);
  const found = new Map<string, MessagingService>();
  if (!wanted.size) return found;
  for (const service of await api.listServices()) {
    for (const pn of await api.listServicePhoneNumbers(service.sid)) {
      if (wanted.has(pn.sid)) found.set(pn.sid, service);
    }
    if (found.size === wanted.size) break;
  }
  return found;
}

/** The warning for a number whose SMS URL its service ignores, or undefined when it is used. */
export function smsUrlIgnoredWarning(phoneNumber: string, service: MessagingService | undefined): string | undefined {
  if (!service || service.useInboundWebhookOnNumber) return undefined;
  const where = service.inboundRequestUrl
    ? `its inbound request URL ${service.inboundRequestUrl}`
    : 'its own inbound settings (no inbound URL set: messages get no webhook)';
  return `${phoneNumber} is in Messaging Service "${service.friendlyName}" (${service.sid}), which answers incoming messages with ${where}: the number's SMS URL is ignored. Turn on "use inbound webhook on number" in the service (Console: Messaging > Services > Integration) or set the service's URL instead`;
}
