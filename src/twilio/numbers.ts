/**
 * IncomingPhoneNumbers on the SDK client that src/twilio/client.ts passes in (type imports only:
 * this module never loads `twilio` itself).
 */
import type { Twilio } from 'twilio';
import { toRemoteError } from './errors.js';
import {
  NUMBER_FIELDS,
  type HttpMethod,
  type IncomingNumber,
  type NumberField,
  type NumberUpdate,
  type NumbersApi,
} from './port.js';

/** Twilio's maximum page size for this list: fewest round trips on big accounts. */
const MAX_PAGE_SIZE = 1000;

/** The SDK instance fields we read (camelCase, as the SDK maps Twilio's JSON). */
type SdkNumber = { sid: string; accountSid: string; phoneNumber: string; friendlyName: string } & {
  [K in NumberField | 'smsApplicationSid' | 'voiceApplicationSid']?: string | null;
};

const emptyToNull = (value: string | null | undefined): string | null => (value ? value : null);

function method(value: string | null | undefined): HttpMethod | null {
  const upper = value?.toUpperCase();
  return upper === 'GET' || upper === 'POST' ? upper : null;
}

export function toIncomingNumber(n: SdkNumber): IncomingNumber {
  return {
    sid: n.sid,
    accountSid: n.accountSid,
    phoneNumber: n.phoneNumber,
    friendlyName: n.friendlyName,
    smsUrl: emptyToNull(n.smsUrl),
    smsMethod: method(n.smsMethod),
    smsFallbackUrl: emptyToNull(n.smsFallbackUrl),
    smsFallbackMethod: method(n.smsFallbackMethod),
    voiceUrl: emptyToNull(n.voiceUrl),
    voiceMethod: method(n.voiceMethod),
    voiceFallbackUrl: emptyToNull(n.voiceFallbackUrl),
    voiceFallbackMethod: method(n.voiceFallbackMethod),
    statusCallback: emptyToNull(n.statusCallback),
    statusCallbackMethod: method(n.statusCallbackMethod),
    smsApplicationSid: emptyToNull(n.smsApplicationSid),
    voiceApplicationSid: emptyToNull(n.voiceApplicationSid),
  };
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw toRemoteError(err);
  }
}

export function createNumbersApi(client: Twilio, options: { pageSize?: number } = {}): NumbersApi {
  const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  return {
    list: (filter = {}) =>
      call(async () => {
        const params: { pageSize: number; phoneNumber?: string; friendlyName?: string } = { pageSize };
        if (filter.phoneNumber) params.phoneNumber = filter.phoneNumber;
        if (filter.friendlyName) params.friendlyName = filter.friendlyName;
        // list() follows next_page_uri to the end (no limit given).
        const numbers = await client.incomingPhoneNumbers.list(params);
        return numbers.map((n) => toIncomingNumber(n as unknown as SdkNumber));
      }),
    fetch: (sid) =>
      call(async () => toIncomingNumber((await client.incomingPhoneNumbers(sid).fetch()) as unknown as SdkNumber)),
    update: (sid, fields: NumberUpdate) =>
      call(async () => {
        // Only the fields given: an absent key leaves Twilio's value alone, '' clears it.
        const params: Partial<Record<NumberField, string>> = {};
        for (const field of NUMBER_FIELDS) {
          const value = fields[field];
          if (value !== undefined) params[field] = value;
        }
        return toIncomingNumber(
          (await client.incomingPhoneNumbers(sid).update(params as never)) as unknown as SdkNumber,
        );
      }),
  };
}
