/**
 * What a dev session says, as data. The engine (src/proxy/session.ts) emits these; the live view,
 * the plain log and the NDJSON renderer (src/ui/live-view.ts) each draw them with an exhaustive
 * switch. A failed forward is a `request` event with a failure outcome, never a throw.
 */
import type { TwimlCheck, TwilioErrorRef } from '../webhooks/twiml.js';

/** The signature check of one request. */
export interface SignatureVerdict {
  /** `unchecked`: no auth token to check with; the request still flows. */
  status: 'valid' | 'invalid' | 'unsigned' | 'unchecked';
  /** One line: why it is valid or not (from `verify`), or how to get a verdict. */
  reason: string;
  /** With --basic-auth: which form of the URL the signature matched. */
  matchedUrl?: 'with-credentials' | 'without-credentials';
}

/** What became of a request at the proxy. */
export type Outcome =
  /** The app answered (any status): `response` holds its answer. */
  | 'answered'
  /** --basic-auth: 401 and WWW-Authenticate to a request without (right) credentials. */
  | 'challenged'
  /** --enforce-signatures: 403, the app never saw it. */
  | 'forbidden'
  /** The body was over the limit: 413, the app never saw it. */
  | 'too-large'
  /** Nothing listens at the app's address: 502. */
  | 'app-down'
  /** The app took longer than Twilio waits: 504, the app's answer is dropped. */
  | 'timeout'
  /** The connection to the app failed mid-way (reset, bad HTTP): 502. */
  | 'app-error'
  /** The caller went away before the answer was complete. */
  | 'caller-gone';

export interface HttpMessage {
  /** Header name/value pairs in the order and case received. Authorization is masked. */
  headers: [string, string][];
  /** The body as text (utf8) or base64 when it is not valid UTF-8. */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  /** Size in bytes of the whole body. */
  bytes: number;
  /** True when `body` holds only the first part (the capture and check limit). */
  truncated: boolean;
}

export interface ExchangeRequest extends HttpMessage {
  method: string;
  /** Path and query as received. */
  path: string;
  /** The public URL Twilio requested (credentials never included). */
  url: string;
  remoteAddress?: string;
}

export interface ExchangeResponse extends HttpMessage {
  status: number;
  contentType?: string;
}

export interface RequestEvent {
  type: 'request';
  /** 1, 2, 3... in arrival order for this session. */
  id: number;
  /** When the request arrived, ISO 8601. */
  time: string;
  request: ExchangeRequest;
  /** What the payload is: sms, voice, message-status, call-status, gather, recording... */
  kind: string;
  /** One line saying what it carries: "+1555… → +1501…: Hello". */
  gist: string;
  /** True for webhooks whose answer Twilio reads as TwiML. */
  expectsTwiml: boolean;
  verdict: SignatureVerdict;
  /** I-Twilio-Idempotency-Token, when Twilio sent one. */
  idempotencyToken?: string;
  /** The id of the earlier request with the same idempotency token: this one is Twilio's retry. */
  retryOf?: number;
  outcome: Outcome;
  /** The status the proxy answered the caller with (the app's, or its own). */
  status: number;
  response?: ExchangeResponse;
  /** From arrival to the last byte of the answer, ms. */
  latencyMs: number;
  /** The TwiML check of the app's answer, for webhooks that expect TwiML. */
  twiml?: TwimlCheck;
  /** The error Twilio would log for this exchange (11200, 12300...). */
  twilioError?: TwilioErrorRef;
  /** One line for a failure outcome: "nothing listening on localhost:3000". */
  failure?: string;
  /** Slow answers and similar one-line notes. */
  warnings: string[];
}

export interface ReadyNumber {
  sid: string;
  phoneNumber: string;
  /** The fields set on the number: SmsUrl -> the public URL with its path and overrides (no credentials). */
  urls: Record<string, string>;
}

export interface ReadyEvent {
  type: 'ready';
  time: string;
  publicUrl: string;
  /** Where the app's paths are in public: the public URL with the app's base path (https://…/twilio). */
  webhookBase?: string;
  proxyUrl: string;
  /** The app's address: http://localhost:3000. */
  target: string;
  tunnel: 'ngrok' | 'public-url' | string;
  numbers: ReadyNumber[];
  /** Where requests are captured, or null with --no-capture. */
  capture: string | null;
  signatures: 'checked' | 'unchecked';
  enforceSignatures: boolean;
  basicAuth: boolean;
}

export interface WarningEvent {
  type: 'warning';
  time: string;
  message: string;
}

export interface ErrorEvent {
  type: 'error';
  time: string;
  message: string;
  /** True when the session ends because of it (tunnel lost, the app process exited...). */
  fatal: boolean;
  code?: string | number;
}

export interface RestoredNumber {
  sid: string;
  phoneNumber: string;
  /** The fields put back, with the values they hold again. */
  fields: Record<string, string | null>;
  /** Set when restoring this number failed: the journal keeps it for `twhook restore`. */
  error?: string;
}

export interface RestoredEvent {
  type: 'restored';
  time: string;
  numbers: RestoredNumber[];
  /** Why the session ended: interrupted, tunnel lost, fatal error, stopped. */
  reason: string;
}

/** A line the --exec child wrote. */
export interface AppOutputEvent {
  type: 'app-output';
  time: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export type DevEvent = ReadyEvent | RequestEvent | WarningEvent | ErrorEvent | RestoredEvent | AppOutputEvent;

export type DevEventType = DevEvent['type'];
