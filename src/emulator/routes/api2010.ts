/**
 * api.twilio.com/2010-04-01: the Account and its IncomingPhoneNumbers (list, fetch, update),
 * following ../../../shared/twilio-oai/api_v2010_subset.json.
 */
import { ApiError, notFound, rejectUnknownParams, type EmuRequest } from '../http.js';
import { page2010 } from '../paging.js';
import type { EmulatorState, RouteModule } from '../server.js';
import { randomSid } from '../ids.js';

/** An IncomingPhoneNumber as Twilio returns it (the fields twhook and its tests touch). */
export interface NumberResource {
  sid: string;
  account_sid: string;
  phone_number: string;
  friendly_name: string;
  sms_url: string;
  sms_method: string;
  sms_fallback_url: string;
  sms_fallback_method: string;
  voice_url: string;
  voice_method: string;
  voice_fallback_url: string;
  voice_fallback_method: string;
  status_callback: string;
  status_callback_method: string;
  sms_application_sid: string;
  voice_application_sid: string;
  trunk_sid: string | null;
  voice_caller_id_lookup: boolean;
  voice_receive_mode: string;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
  api_version: string;
  address_sid: string | null;
  address_requirements: string;
  identity_sid: string | null;
  bundle_sid: string | null;
  emergency_status: string;
  emergency_address_sid: string | null;
  emergency_address_status: string;
  beta: boolean;
  origin: string;
  status: string;
  type: string;
  date_created: string;
  date_updated: string;
  uri: string;
}

/** A number to seed, in twhook's camelCase; everything but the phone number has a default. */
export interface NumberSeed {
  phoneNumber: string;
  sid?: string;
  friendlyName?: string;
  smsUrl?: string;
  smsMethod?: string;
  smsFallbackUrl?: string;
  smsFallbackMethod?: string;
  voiceUrl?: string;
  voiceMethod?: string;
  voiceFallbackUrl?: string;
  voiceFallbackMethod?: string;
  statusCallback?: string;
  statusCallbackMethod?: string;
  smsApplicationSid?: string;
  voiceApplicationSid?: string;
  capabilities?: Partial<NumberResource['capabilities']>;
}

export interface Api2010State {
  /** Numbers by SID, in creation order (the list order). */
  numbers: Map<string, NumberResource>;
  /** Adds a number as if bought, returning the stored resource. */
  addNumber(seed: NumberSeed): NumberResource;
}

declare module '../server.js' {
  interface EmulatorState {
    api2010: Api2010State;
  }
  interface EmulatorOptions {
    /** Incoming numbers on the account. */
    numbers?: NumberSeed[];
  }
}

const API = '/2010-04-01';

/** RFC 2822 as Twilio writes it: "Thu, 30 Jul 2015 23:19:04 +0000". */
export const twilioDate = (date: Date) => date.toUTCString().replace(/GMT$/, '+0000');

/** "+14155550100" -> "(415) 555-0100", as Twilio's default friendly name for NANP numbers. */
function defaultFriendlyName(phone: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phone);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : phone;
}

const URL_FIELDS: Record<string, keyof NumberResource> = {
  SmsUrl: 'sms_url',
  SmsFallbackUrl: 'sms_fallback_url',
  VoiceUrl: 'voice_url',
  VoiceFallbackUrl: 'voice_fallback_url',
  StatusCallback: 'status_callback',
};

const METHOD_FIELDS: Record<string, keyof NumberResource> = {
  SmsMethod: 'sms_method',
  SmsFallbackMethod: 'sms_fallback_method',
  VoiceMethod: 'voice_method',
  VoiceFallbackMethod: 'voice_fallback_method',
  StatusCallbackMethod: 'status_callback_method',
};

/** SID-valued update fields: their prefix, and whether an empty value clears them. */
const SID_FIELDS: Record<string, { prefix: string; field: keyof NumberResource }> = {
  SmsApplicationSid: { prefix: 'AP', field: 'sms_application_sid' },
  VoiceApplicationSid: { prefix: 'AP', field: 'voice_application_sid' },
  TrunkSid: { prefix: 'TK', field: 'trunk_sid' },
  EmergencyAddressSid: { prefix: 'AD', field: 'emergency_address_sid' },
  IdentitySid: { prefix: 'RI', field: 'identity_sid' },
  AddressSid: { prefix: 'AD', field: 'address_sid' },
  BundleSid: { prefix: 'BU', field: 'bundle_sid' },
};

/** Every form parameter of UpdateIncomingPhoneNumberRequest in the contract. */
export const UPDATE_PARAMS = [
  'AccountSid',
  'ApiVersion',
  'FriendlyName',
  ...Object.keys(URL_FIELDS),
  ...Object.keys(METHOD_FIELDS),
  ...Object.keys(SID_FIELDS),
  'VoiceCallerIdLookup',
  'EmergencyStatus',
  'VoiceReceiveMode',
];

/**
 * Twilio accepts absolute http(s) URLs up to 4000 characters with a host name (a fragment is
 * allowed: twhook keeps connection overrides there).
 */
export function invalidUrlReason(value: string): string | undefined {
  if (value.length > 4000) return 'longer than 4000 characters';
  if (/\s/.test(value)) return 'contains white space';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'not http or https';
  if (!url.hostname) return 'no host name';
  return undefined;
}

function createNumber(state: EmulatorState, seed: NumberSeed): NumberResource {
  if (!/^\+[1-9]\d{1,14}$/.test(seed.phoneNumber)) throw new Error(`not an E.164 number: ${seed.phoneNumber}`);
  const sid = seed.sid ?? randomSid('PN');
  const now = twilioDate(state.now());
  return {
    sid,
    account_sid: state.accountSid,
    phone_number: seed.phoneNumber,
    friendly_name: seed.friendlyName ?? defaultFriendlyName(seed.phoneNumber),
    sms_url: seed.smsUrl ?? '',
    sms_method: seed.smsMethod ?? 'POST',
    sms_fallback_url: seed.smsFallbackUrl ?? '',
    sms_fallback_method: seed.smsFallbackMethod ?? 'POST',
    voice_url: seed.voiceUrl ?? '',
    voice_method: seed.voiceMethod ?? 'POST',
    voice_fallback_url: seed.voiceFallbackUrl ?? '',
    voice_fallback_method: seed.voiceFallbackMethod ?? 'POST',
    status_callback: seed.statusCallback ?? '',
    status_callback_method: seed.statusCallbackMethod ?? 'POST',
    sms_application_sid: seed.smsApplicationSid ?? '',
    voice_application_sid: seed.voiceApplicationSid ?? '',
    trunk_sid: null,
    voice_caller_id_lookup: false,
    voice_receive_mode: 'voice',
    capabilities: { voice: true, sms: true, mms: true, fax: false, ...seed.capabilities },
    api_version: '2010-04-01',
    address_sid: null,
    address_requirements: 'none',
    identity_sid: null,
    bundle_sid: null,
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    beta: false,
    origin: 'twilio',
    status: 'in-use',
    type: 'local',
    date_created: now,
    date_updated: now,
    uri: `${API}/Accounts/${state.accountSid}/IncomingPhoneNumbers/${sid}.json`,
  };
}

/** Twilio's PhoneNumber filter: a substring of the E.164 number, `*` standing for any digit. */
function phoneFilter(raw: string): (phone: string) => boolean {
  const value = raw.trim();
  const source = value
    .split('')
    .map((ch) => (ch === '*' ? '\\d' : ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(source);
  return (phone) => re.test(phone);
}

function applyUpdate(state: EmulatorState, number: NumberResource, req: EmuRequest): void {
  rejectUnknownParams(req, UPDATE_PARAMS);
  const changes: Partial<Record<keyof NumberResource, unknown>> = {};
  for (const [key, value] of req.form) {
    if (key in URL_FIELDS) {
      const reason = value === '' ? undefined : invalidUrlReason(value);
      if (reason) {
        const code = key === 'StatusCallback' ? 21502 : 21402;
        throw new ApiError(400, code, `${key} is not valid: ${reason}`);
      }
      changes[URL_FIELDS[key]!] = value;
    } else if (key in METHOD_FIELDS) {
      const method = value.toUpperCase();
      if (method !== 'GET' && method !== 'POST') {
        throw new ApiError(400, 21403, `${key} must be GET or POST, not "${value}"`);
      }
      changes[METHOD_FIELDS[key]!] = method;
    } else if (key in SID_FIELDS) {
      const { prefix, field } = SID_FIELDS[key]!;
      if (value !== '' && !new RegExp(`^${prefix}[0-9a-fA-F]{32}$`).test(value)) {
        throw new ApiError(400, 20001, `${key} must be a ${prefix} SID (${prefix} followed by 32 hex digits)`);
      }
      changes[field] = value === '' ? (field.endsWith('application_sid') ? '' : null) : value;
    } else if (key === 'FriendlyName') {
      if (value.length > 64) throw new ApiError(400, 20002, 'FriendlyName must be at most 64 characters');
      changes.friendly_name = value;
    } else if (key === 'AccountSid') {
      if (value !== state.accountSid)
        throw new ApiError(400, 20001, `AccountSid ${value} is not a subaccount of this account`);
    } else if (key === 'VoiceCallerIdLookup') {
      if (value !== 'true' && value !== 'false')
        throw new ApiError(400, 20001, 'VoiceCallerIdLookup must be true or false');
      changes.voice_caller_id_lookup = value === 'true';
    } else if (key === 'VoiceReceiveMode') {
      if (value !== 'voice' && value !== 'fax') throw new ApiError(400, 20001, 'VoiceReceiveMode must be voice or fax');
      changes.voice_receive_mode = value;
    } else if (key === 'EmergencyStatus') {
      if (value !== 'Active' && value !== 'Inactive')
        throw new ApiError(400, 20001, 'EmergencyStatus must be Active or Inactive');
      changes.emergency_status = value;
    } else if (key === 'ApiVersion') {
      if (value !== '2010-04-01' && value !== '2008-08-01')
        throw new ApiError(400, 20001, 'ApiVersion must be 2010-04-01 or 2008-08-01');
      changes.api_version = value;
    }
  }
  // A voice application and a trunk exclude each other, as on Twilio.
  if (changes.voice_application_sid) changes.trunk_sid = null;
  if (changes.trunk_sid) changes.voice_application_sid = '';
  Object.assign(number, changes, { date_updated: twilioDate(state.now()) });
}

export const register: RouteModule['register'] = (router, state, options) => {
  const numbers = new Map<string, NumberResource>();
  state.api2010 = {
    numbers,
    addNumber(seed) {
      const number = createNumber(state, seed);
      numbers.set(number.sid, number);
      return number;
    },
  };
  for (const seed of options.numbers ?? []) state.api2010.addNumber(seed);

  const find = (req: EmuRequest) => {
    const number = numbers.get(req.params.Sid!);
    if (!number) throw notFound(req.path);
    return number;
  };

  router.get(`${API}/Accounts/{AccountSid}.json`, () => ({
    status: 200,
    body: {
      sid: state.accountSid,
      owner_account_sid: state.accountSid,
      friendly_name: state.accountFriendlyName,
      status: 'active',
      type: 'Full',
      date_created: twilioDate(new Date(0)),
      date_updated: twilioDate(new Date(0)),
      uri: `${API}/Accounts/${state.accountSid}.json`,
      subresource_uris: {
        incoming_phone_numbers: `${API}/Accounts/${state.accountSid}/IncomingPhoneNumbers.json`,
      },
    },
  }));

  router.get(`${API}/Accounts/{AccountSid}/IncomingPhoneNumbers.json`, (req) => {
    let list = [...numbers.values()];
    const phone = req.query.get('PhoneNumber');
    if (phone) {
      const matches = phoneFilter(phone);
      list = list.filter((n) => matches(n.phone_number));
    }
    const friendly = req.query.get('FriendlyName');
    if (friendly) list = list.filter((n) => n.friendly_name === friendly);
    return { status: 200, body: page2010(req, list, 'incoming_phone_numbers') };
  });

  router.get(`${API}/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json`, (req) => ({
    status: 200,
    body: find(req),
  }));

  router.post(`${API}/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json`, (req) => {
    const number = find(req);
    applyUpdate(state, number, req);
    return { status: 200, body: number };
  });
};
