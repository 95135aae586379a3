/**
 * What a simulated call or conversation says, as data: the contract between the engine
 * (src/simulate/voice.ts, messaging.ts) and its renderers (the terminal, `--json`, `twhook test`'s
 * matcher, `--save`, the inspector). Stable: `--json` prints these one per line, and the README
 * documents them. `t` is simulated seconds since the start (the clock, not the wall).
 */

export interface RequestSimEvent {
  type: 'request';
  t: number;
  url: string;
  method: string;
  /** The form parameters sent (as signed). */
  params: Record<string, string>;
  /** The app's HTTP status; 0 when no answer came (refused, timed out). */
  status: number;
  contentType?: string;
  /** Wall-clock milliseconds the app took. */
  ms: number;
  /** 1 for the first try, 2... for retries made by the URL's connection overrides. */
  attempt: number;
  /**
   * `basic` or `digest`: sent with the URL's credentials (after the app's 401 challenge, or logged in since);
   * absent when no Authorization header went. URLs show a password as `user:***@`.
   */
  auth?: 'basic' | 'digest';
}

export interface SaySimEvent {
  type: 'say';
  t: number;
  text: string;
  voice?: string;
  language?: string;
  loop: number;
}

export interface PlaySimEvent {
  type: 'play';
  t: number;
  url?: string;
  loop: number;
  digits?: string;
}

export interface PauseSimEvent {
  type: 'pause';
  t: number;
  length: number;
}

export type GatherResult = { digits: string } | { speech: string } | null;

export interface GatherSimEvent {
  type: 'gather';
  t: number;
  input: string;
  numDigits?: number;
  finishOnKey: string;
  timeout: number;
  action: string;
  result: GatherResult;
}

export interface RecordSimEvent {
  type: 'record';
  t: number;
  action: string;
  maxLength: number;
  result: { duration: number; digits?: string };
}

export type DialOutcome = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export interface DialSimEvent {
  type: 'dial';
  t: number;
  /** Each party dialled: a number, `client:NAME`, `sip:…`, `conference:NAME`, `queue:NAME`. */
  to: string[];
  action?: string;
  outcome: DialOutcome;
  duration: number;
  /** <Dial record="…">: the recording made (its callback and the action carry its URL and SID). */
  recording?: { duration: number; channels: number };
}

export interface EnqueueSimEvent {
  type: 'enqueue';
  t: number;
  queue: string;
  waitUrl?: string;
  /** QueueResult as Twilio reports it to `action`: bridged, hangup, leave, error. */
  result: string;
  /** Seconds the caller waited in the queue (QueueTime). */
  queueTime?: number;
  /** Bridged: how long the call with the agent lasts. */
  duration?: number;
}

export interface RedirectSimEvent {
  type: 'redirect';
  t: number;
  url: string;
  method: string;
}

export interface HangupSimEvent {
  type: 'hangup';
  t: number;
}

export interface RejectSimEvent {
  type: 'reject';
  t: number;
  reason: 'rejected' | 'busy';
}

export interface SmsMessage {
  from: string;
  to: string;
  body: string;
  media: string[];
}

/** A message the simulated texter sends to the app (`twhook text`). */
export interface InboundSimEvent extends SmsMessage {
  type: 'inbound';
  t: number;
}

/** A reply the app's TwiML sends (`<Message>`, or a text/plain answer). */
export interface MessageSimEvent extends SmsMessage {
  type: 'message';
  t: number;
}

export interface CallbackSimEvent {
  type: 'callback';
  t: number;
  kind: 'status' | 'recording' | 'message-status';
  url: string;
  params: Record<string, string>;
  /** The app's HTTP status; 0 when no answer came. */
  status: number;
}

export interface UnsupportedSimEvent {
  type: 'unsupported';
  t: number;
  verb: string;
}

export interface ErrorSimEvent {
  type: 'error';
  t: number;
  /** Twilio's error code (11200, 12100, 12300, …): https://www.twilio.com/docs/api/errors/CODE */
  code: number;
  message: string;
  url: string;
}

export interface EndSimEvent {
  type: 'end';
  t: number;
  /** The call's final CallStatus (completed, busy, failed, no-answer, canceled) or, for text, `completed`. */
  status: string;
  /** Simulated seconds. */
  duration: number;
  /** Requests made to the app, callbacks included. */
  requests: number;
  /** Why it ended: hangup, end-of-document, caller-hangup, reject, error, loop, no-reply, … */
  reason: string;
}

/**
 * `callee` on the events of the called party's leg: a <Number url> (or <Client>, <Sip>) whisper's
 * requests and what its TwiML plays to the person answering, before the parties are connected.
 * Absent on everything the caller's own call does.
 */
export interface LegField {
  leg?: 'callee';
}

export type SimEvent = (
  | RequestSimEvent
  | SaySimEvent
  | PlaySimEvent
  | PauseSimEvent
  | GatherSimEvent
  | RecordSimEvent
  | DialSimEvent
  | EnqueueSimEvent
  | RedirectSimEvent
  | HangupSimEvent
  | RejectSimEvent
  | InboundSimEvent
  | MessageSimEvent
  | CallbackSimEvent
  | UnsupportedSimEvent
  | ErrorSimEvent
  | EndSimEvent
) &
  LegField;

export type SimEventType = SimEvent['type'];
