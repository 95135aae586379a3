/**
 * messaging.twilio.com/v1: Messaging Services and their sender pools (phone numbers), following
 * ../../../shared/twilio-oai/messaging_v1_subset.json. Enough for twhook to learn which service
 * a number belongs to and whether its inbound settings replace the number's SMS URL.
 */
import { ApiError, formValue, notFound, rejectUnknownParams, type EmuRequest } from '../http.js';
import { pageV1 } from '../paging.js';
import type { EmulatorState, RouteModule } from '../server.js';
import { randomSid } from '../ids.js';

/** A Service as Twilio returns it (snake_case, ISO 8601 dates). */
export interface ServiceResource {
  sid: string;
  account_sid: string;
  friendly_name: string;
  date_created: string;
  date_updated: string;
  inbound_request_url: string | null;
  inbound_method: string;
  fallback_url: string | null;
  fallback_method: string;
  status_callback: string | null;
  sticky_sender: boolean;
  mms_converter: boolean;
  smart_encoding: boolean;
  scan_message_content: string;
  fallback_to_long_code: boolean;
  area_code_geomatch: boolean;
  synchronous_validation: boolean;
  validity_period: number;
  url: string;
  links: Record<string, string>;
  usecase: string;
  us_app_to_person_registered: boolean;
  use_inbound_webhook_on_number: boolean;
}

export interface ServicePhoneNumberResource {
  sid: string;
  account_sid: string;
  service_sid: string;
  date_created: string;
  date_updated: string;
  phone_number: string;
  country_code: string;
  capabilities: string[];
  url: string;
}

export interface ServiceSeed {
  friendlyName: string;
  sid?: string;
  inboundRequestUrl?: string;
  inboundMethod?: string;
  fallbackUrl?: string;
  /** Default false, as for a service created through the API. */
  useInboundWebhookOnNumber?: boolean;
  /** PN SIDs of numbers (seeded through `numbers`) to put in the sender pool. */
  phoneNumberSids?: string[];
}

export interface MessagingState {
  services: Map<string, ServiceResource>;
  /** Service SID -> its sender pool, by PN SID. */
  servicePhoneNumbers: Map<string, Map<string, ServicePhoneNumberResource>>;
  addService(seed: ServiceSeed): ServiceResource;
  /** Puts a number of the account in a service's sender pool. */
  addServicePhoneNumber(serviceSid: string, phoneNumberSid: string): ServicePhoneNumberResource;
}

declare module '../server.js' {
  interface EmulatorState {
    messaging: MessagingState;
  }
  interface EmulatorOptions {
    /** Messaging Services on the account. */
    messagingServices?: ServiceSeed[];
  }
}

const BASE = '/v1/Services';

const SERVICE_PARAMS = [
  'FriendlyName',
  'InboundRequestUrl',
  'InboundMethod',
  'FallbackUrl',
  'FallbackMethod',
  'StatusCallback',
  'StickySender',
  'MmsConverter',
  'SmartEncoding',
  'ScanMessageContent',
  'FallbackToLongCode',
  'AreaCodeGeomatch',
  'ValidityPeriod',
  'SynchronousValidation',
  'Usecase',
  'UseInboundWebhookOnNumber',
];

const BOOLEAN_PARAMS: Record<string, keyof ServiceResource> = {
  StickySender: 'sticky_sender',
  MmsConverter: 'mms_converter',
  SmartEncoding: 'smart_encoding',
  FallbackToLongCode: 'fallback_to_long_code',
  AreaCodeGeomatch: 'area_code_geomatch',
  SynchronousValidation: 'synchronous_validation',
  UseInboundWebhookOnNumber: 'use_inbound_webhook_on_number',
};

const URL_PARAMS: Record<string, keyof ServiceResource> = {
  InboundRequestUrl: 'inbound_request_url',
  FallbackUrl: 'fallback_url',
  StatusCallback: 'status_callback',
};

const METHOD_PARAMS: Record<string, keyof ServiceResource> = {
  InboundMethod: 'inbound_method',
  FallbackMethod: 'fallback_method',
};

function validUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !!url.hostname;
  } catch {
    return false;
  }
}

function applyServiceParams(service: ServiceResource, req: EmuRequest): void {
  rejectUnknownParams(req, SERVICE_PARAMS);
  const changes: Partial<Record<keyof ServiceResource, unknown>> = {};
  for (const [key, value] of req.form) {
    if (key in BOOLEAN_PARAMS) {
      if (value !== 'true' && value !== 'false') throw new ApiError(400, 20001, `${key} must be true or false`);
      changes[BOOLEAN_PARAMS[key]!] = value === 'true';
    } else if (key in URL_PARAMS) {
      if (value !== '' && !validUrl(value)) throw new ApiError(400, 21609, `${key} is not a valid URL: ${value}`);
      changes[URL_PARAMS[key]!] = value === '' ? null : value;
    } else if (key in METHOD_PARAMS) {
      const method = value.toUpperCase();
      if (method !== 'GET' && method !== 'POST') throw new ApiError(400, 20001, `${key} must be GET or POST`);
      changes[METHOD_PARAMS[key]!] = method;
    } else if (key === 'FriendlyName') {
      if (value.length > 64) throw new ApiError(400, 20001, 'FriendlyName must be at most 64 characters');
      changes.friendly_name = value;
    } else if (key === 'ValidityPeriod') {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 36000)
        throw new ApiError(400, 20001, 'ValidityPeriod must be 1 to 36000');
      changes.validity_period = Number(value);
    } else if (key === 'ScanMessageContent') {
      if (!['inherit', 'enable', 'disable'].includes(value))
        throw new ApiError(400, 20001, 'ScanMessageContent must be inherit, enable or disable');
      changes.scan_message_content = value;
    } else if (key === 'Usecase') {
      changes.usecase = value;
    }
  }
  Object.assign(service, changes);
}

export const register: RouteModule['register'] = (router, state: EmulatorState, options) => {
  const services = new Map<string, ServiceResource>();
  const pools = new Map<string, Map<string, ServicePhoneNumberResource>>();
  const iso = () =>
    state
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');

  const newService = (friendlyName: string, sid = randomSid('MG')): ServiceResource => {
    const url = `https://messaging.twilio.com${BASE}/${sid}`;
    return {
      sid,
      account_sid: state.accountSid,
      friendly_name: friendlyName,
      date_created: iso(),
      date_updated: iso(),
      inbound_request_url: null,
      inbound_method: 'POST',
      fallback_url: null,
      fallback_method: 'POST',
      status_callback: null,
      sticky_sender: true,
      mms_converter: true,
      smart_encoding: true,
      scan_message_content: 'inherit',
      fallback_to_long_code: true,
      area_code_geomatch: true,
      synchronous_validation: false,
      validity_period: 14400,
      url,
      links: {
        phone_numbers: `${url}/PhoneNumbers`,
        short_codes: `${url}/ShortCodes`,
        alpha_senders: `${url}/AlphaSenders`,
      },
      usecase: 'undeclared',
      us_app_to_person_registered: false,
      use_inbound_webhook_on_number: false,
    };
  };

  const addServicePhoneNumber = (serviceSid: string, phoneNumberSid: string): ServicePhoneNumberResource => {
    const pool = pools.get(serviceSid);
    if (!pool) throw notFound(`${BASE}/${serviceSid}`);
    const number = state.api2010?.numbers.get(phoneNumberSid);
    if (!/^PN[0-9a-fA-F]{32}$/.test(phoneNumberSid))
      throw new ApiError(400, 21710, `PhoneNumberSid ${phoneNumberSid} is not a valid phone number SID`);
    if (!number) throw new ApiError(404, 21710, `The phone number ${phoneNumberSid} was not found on this account`);
    for (const [sid, other] of pools) {
      if (other.has(phoneNumberSid)) {
        throw new ApiError(
          409,
          21712,
          `Phone Number or Short Code is already associated with another Messaging Service (${sid})`,
        );
      }
    }
    const caps = number.capabilities;
    const resource: ServicePhoneNumberResource = {
      sid: phoneNumberSid,
      account_sid: state.accountSid,
      service_sid: serviceSid,
      date_created: iso(),
      date_updated: iso(),
      phone_number: number.phone_number,
      country_code: number.phone_number.startsWith('+1') ? 'US' : '',
      capabilities: [caps.voice && 'Voice', caps.sms && 'SMS', caps.mms && 'MMS'].filter((c): c is string => !!c),
      url: `https://messaging.twilio.com${BASE}/${serviceSid}/PhoneNumbers/${phoneNumberSid}`,
    };
    pool.set(phoneNumberSid, resource);
    return resource;
  };

  state.messaging = {
    services,
    servicePhoneNumbers: pools,
    addService(seed) {
      const service = newService(seed.friendlyName, seed.sid);
      service.inbound_request_url = seed.inboundRequestUrl ?? null;
      service.inbound_method = seed.inboundMethod ?? 'POST';
      service.fallback_url = seed.fallbackUrl ?? null;
      service.use_inbound_webhook_on_number = seed.useInboundWebhookOnNumber ?? false;
      services.set(service.sid, service);
      pools.set(service.sid, new Map());
      for (const pn of seed.phoneNumberSids ?? []) addServicePhoneNumber(service.sid, pn);
      return service;
    },
    addServicePhoneNumber,
  };
  for (const seed of options.messagingServices ?? []) state.messaging.addService(seed);

  const find = (req: EmuRequest, sid: string) => {
    const service = services.get(sid);
    if (!service) throw notFound(req.path);
    return service;
  };

  router.get(BASE, (req) => ({ status: 200, body: pageV1(req, [...services.values()], 'services') }));

  router.post(BASE, (req) => {
    const friendlyName = formValue(req, 'FriendlyName');
    if (friendlyName === undefined || friendlyName === '')
      throw new ApiError(400, 20001, 'Missing required parameter FriendlyName in the post body');
    const service = newService(friendlyName);
    applyServiceParams(service, req);
    services.set(service.sid, service);
    pools.set(service.sid, new Map());
    return { status: 201, body: service };
  });

  router.get(`${BASE}/{Sid}`, (req) => ({ status: 200, body: find(req, req.params.Sid!) }));

  router.post(`${BASE}/{Sid}`, (req) => {
    const service = find(req, req.params.Sid!);
    applyServiceParams(service, req);
    service.date_updated = iso();
    return { status: 200, body: service };
  });

  router.delete(`${BASE}/{Sid}`, (req) => {
    find(req, req.params.Sid!);
    services.delete(req.params.Sid!);
    pools.delete(req.params.Sid!);
    return { status: 204 };
  });

  router.get(`${BASE}/{ServiceSid}/PhoneNumbers`, (req) => {
    find(req, req.params.ServiceSid!);
    return { status: 200, body: pageV1(req, [...pools.get(req.params.ServiceSid!)!.values()], 'phone_numbers') };
  });

  router.post(`${BASE}/{ServiceSid}/PhoneNumbers`, (req) => {
    find(req, req.params.ServiceSid!);
    rejectUnknownParams(req, ['PhoneNumberSid']);
    const pn = formValue(req, 'PhoneNumberSid');
    if (!pn) throw new ApiError(400, 20001, 'Missing required parameter PhoneNumberSid in the post body');
    return { status: 201, body: addServicePhoneNumber(req.params.ServiceSid!, pn) };
  });
};
