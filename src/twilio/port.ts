/**
 * The narrow port between commands and Twilio's REST API: only the calls twhook makes, in
 * twhook's own types. The SDK-backed implementation is src/twilio/client.ts (loaded lazily);
 * tests use it against the emulator on loopback, or a hand-written fake of this interface.
 */
import type { EventsApi } from './eventstreams.js';
import type { MessagingApi } from './messaging.js';

export type HttpMethod = 'GET' | 'POST';

/** The webhook fields of an IncomingPhoneNumber that twhook reads and writes. */
export interface NumberWebhooks {
  smsUrl: string | null;
  smsMethod: HttpMethod | null;
  smsFallbackUrl: string | null;
  smsFallbackMethod: HttpMethod | null;
  voiceUrl: string | null;
  voiceMethod: HttpMethod | null;
  voiceFallbackUrl: string | null;
  voiceFallbackMethod: HttpMethod | null;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod | null;
}

export type NumberField = keyof NumberWebhooks;

export const NUMBER_FIELDS: readonly NumberField[] = [
  'smsUrl',
  'smsMethod',
  'smsFallbackUrl',
  'smsFallbackMethod',
  'voiceUrl',
  'voiceMethod',
  'voiceFallbackUrl',
  'voiceFallbackMethod',
  'statusCallback',
  'statusCallbackMethod',
];

/** Twilio's form parameter name for each field (SmsUrl, VoiceFallbackMethod...). */
export const NUMBER_FIELD_PARAM: Record<NumberField, string> = {
  smsUrl: 'SmsUrl',
  smsMethod: 'SmsMethod',
  smsFallbackUrl: 'SmsFallbackUrl',
  smsFallbackMethod: 'SmsFallbackMethod',
  voiceUrl: 'VoiceUrl',
  voiceMethod: 'VoiceMethod',
  voiceFallbackUrl: 'VoiceFallbackUrl',
  voiceFallbackMethod: 'VoiceFallbackMethod',
  statusCallback: 'StatusCallback',
  statusCallbackMethod: 'StatusCallbackMethod',
};

export interface IncomingNumber extends NumberWebhooks {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  /** When set, Twilio ignores the number's SMS/voice URLs for those of the application. */
  smsApplicationSid: string | null;
  voiceApplicationSid: string | null;
}

/** An update sets the given fields; `''` clears a URL. Absent fields are left as they are. */
export type NumberUpdate = Partial<{ [K in NumberField]: string }>;

export interface NumbersApi {
  /** Every incoming number on the account, all pages. Filters are Twilio's (substring match). */
  list(filter?: { phoneNumber?: string; friendlyName?: string }): Promise<IncomingNumber[]>;
  fetch(sid: string): Promise<IncomingNumber>;
  update(sid: string, fields: NumberUpdate): Promise<IncomingNumber>;
}

export interface Account {
  sid: string;
  friendlyName: string;
  status: string;
  type: string;
}

export interface TwilioPort {
  readonly accountSid: string;
  fetchAccount(): Promise<Account>;
  readonly numbers: NumbersApi;
  readonly messaging: MessagingApi;
  readonly events: EventsApi;
}
