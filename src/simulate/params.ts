/**
 * The form parameters Twilio sends with each request the simulator makes, by request type, as
 * Twilio's docs list them:
 * - a call's requests: https://www.twilio.com/docs/voice/twiml#request-parameters
 * - <Gather> action: https://www.twilio.com/docs/voice/twiml/gather#action
 * - <Record> action and recordingStatusCallback: https://www.twilio.com/docs/voice/twiml/record
 * - <Dial> action: https://www.twilio.com/docs/voice/twiml/dial#action
 * - <Enqueue> waitUrl and action: https://www.twilio.com/docs/voice/twiml/enqueue
 * - status callbacks: https://www.twilio.com/docs/voice/api/call-resource#statuscallback
 * - an incoming message: https://www.twilio.com/docs/messaging/guides/webhook-request
 * - message status callbacks: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
 * Geographic fields are fixed, plausible values (the simulator has no carrier lookup).
 */
import { randomFillSync } from 'node:crypto';

export type Params = Record<string, string>;

export const DEFAULT_FROM = '+15558675310';
export const DEFAULT_TO = '+15017122661';
export const DEFAULT_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
export const API_VERSION = '2010-04-01';

/** A SID of this prefix: the prefix and 32 hex digits. */
export function newSid(prefix: string): string {
  // From a buffer refilled every 256 SIDs, as crypto.randomUUID does: randomBytes(16) costs ~10 µs a call.
  if (sidOffset >= sidPool.length) {
    randomFillSync(sidPool);
    sidOffset = 0;
  }
  const sid = prefix + sidPool.toString('hex', sidOffset, sidOffset + 16);
  sidOffset += 16;
  return sid;
}

const sidPool = Buffer.alloc(16 * 256);
let sidOffset = sidPool.length;

export interface Party {
  accountSid: string;
  from: string;
  to: string;
}

const CALLER_GEO = { FromCity: 'SEATTLE', FromState: 'WA', FromZip: '98101', FromCountry: 'US' };
const CALLED_GEO = { ToCity: 'SAN FRANCISCO', ToState: 'CA', ToZip: '94105', ToCountry: 'US' };

/** What every request of a call carries; CallStatus is ringing on the first, then in-progress. */
export function callParams(party: Party, callSid: string, callStatus: string): Params {
  return {
    AccountSid: party.accountSid,
    ApiVersion: API_VERSION,
    CallSid: callSid,
    CallStatus: callStatus,
    Direction: 'inbound',
    From: party.from,
    To: party.to,
    Caller: party.from,
    Called: party.to,
    // Written out rather than spread: a literal is one allocation (every request of a call builds this).
    FromCity: CALLER_GEO.FromCity,
    FromState: CALLER_GEO.FromState,
    FromZip: CALLER_GEO.FromZip,
    FromCountry: CALLER_GEO.FromCountry,
    CallerCity: CALLER_GEO.FromCity,
    CallerState: CALLER_GEO.FromState,
    CallerZip: CALLER_GEO.FromZip,
    CallerCountry: CALLER_GEO.FromCountry,
    ToCity: CALLED_GEO.ToCity,
    ToState: CALLED_GEO.ToState,
    ToZip: CALLED_GEO.ToZip,
    ToCountry: CALLED_GEO.ToCountry,
    CalledCity: CALLED_GEO.ToCity,
    CalledState: CALLED_GEO.ToState,
    CalledZip: CALLED_GEO.ToZip,
    CalledCountry: CALLED_GEO.ToCountry,
  };
}

export function recordingUrl(accountSid: string, recordingSid: string): string {
  return `https://api.twilio.com/${API_VERSION}/Accounts/${accountSid}/Recordings/${recordingSid}`;
}

/** An incoming message's parameters; MediaUrlN/MediaContentTypeN for each attachment. */
export function messageParams(party: Party, messageSid: string, body: string, media: string[]): Params {
  const params: Params = {
    ToCountry: CALLED_GEO.ToCountry,
    ToState: CALLED_GEO.ToState,
    SmsMessageSid: messageSid,
    NumMedia: String(media.length),
    ToCity: CALLED_GEO.ToCity,
    FromZip: CALLER_GEO.FromZip,
    SmsSid: messageSid,
    FromState: CALLER_GEO.FromState,
    SmsStatus: 'received',
    FromCity: CALLER_GEO.FromCity,
    Body: body,
    FromCountry: CALLER_GEO.FromCountry,
    To: party.to,
    ToZip: CALLED_GEO.ToZip,
    NumSegments: String(segments(body)),
    MessageSid: messageSid,
    AccountSid: party.accountSid,
    From: party.from,
    ApiVersion: API_VERSION,
  };
  media.forEach((url, i) => {
    params[`MediaContentType${i}`] = mediaType(url);
    params[`MediaUrl${i}`] = url;
  });
  return params;
}

/** SMS segments: 160 GSM-7 characters (153 when split), or 70 UCS-2 (67 when split). */
export function segments(body: string): number {
  if (!body) return 1;
  const gsm = /^[\n\r -_a-z£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà{}\\[\]~|^€]*$/.test(body);
  const length = [...body].length;
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / part);
}

const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
  vcf: 'text/vcard',
  txt: 'text/plain',
};

/** The content type Twilio would report for a media URL, guessed from its extension. */
export function mediaType(url: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  return (ext && MEDIA_TYPES[ext]) || 'image/jpeg';
}
