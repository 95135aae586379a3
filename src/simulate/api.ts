/**
 * The simulator's public surface: what `twhook call`, `twhook text`, `twhook test`, the demo and
 * the library (`import { simulateCall, simulateText } from 'twhook'`) hand the engine, and what
 * they get back. The engine plays Twilio's part; the caller or texter is scripted (inputs) or asked
 * (an input source backed by a terminal prompt). Events go out one by one through `onEvent` as they
 * happen, in order, and are also returned whole.
 */
import type { Dispatcher } from 'undici';
import type { CaptureRecord } from '../capture/format.js';
import type { DialOutcome, EndSimEvent, GatherSimEvent, SimEvent } from './events.js';

/** Where a webhook goes, as a number's configuration holds it. */
export interface WebhookTarget {
  /** Absolute URL; may carry connection overrides in its fragment (`#ct=2000&rc=2`). */
  url: string;
  method?: 'GET' | 'POST';
}

/** The app's side of a call or conversation, like an IncomingPhoneNumber's settings. */
export interface AppTarget extends WebhookTarget {
  fallback?: WebhookTarget;
  statusCallback?: WebhookTarget;
  /** Voice: initiated, ringing, answered, completed (default: completed only, as Twilio). */
  statusEvents?: string[];
}

/** One thing the simulated caller does, consumed in order where the call waits for the caller. */
export type CallInput =
  | { kind: 'press'; digits: string }
  | { kind: 'speak'; text: string }
  | { kind: 'dial'; status: DialOutcome; seconds?: number }
  | { kind: 'record'; seconds: number; digits?: string }
  /** The caller hangs up at this point. */
  | { kind: 'hangup' }
  /** The caller stays silent this long (a Gather times out; the clock moves on). */
  | { kind: 'wait'; seconds: number }
  /**
   * At an <Enqueue>: an agent dequeues the caller `after` seconds into the wait (default: when the
   * waitUrl's document has run once) and they talk `seconds` (default the Dial length, 10).
   */
  | { kind: 'dequeue'; after?: number; seconds?: number };

/** What the call is waiting for when it asks for input. */
export type InputRequest =
  | { kind: 'gather'; gather: Omit<GatherSimEvent, 'type' | 't' | 'result'> & { leg?: 'callee' } }
  | { kind: 'dial'; to: string[] }
  | { kind: 'record'; maxLength: number }
  /** Optional: an input that does not fit (a press for the hold music's Gather) is left for later. */
  | { kind: 'enqueue'; queue: string; waitUrl?: string };

/**
 * Asked each time the call waits for the caller. `undefined`: nothing scripted (a Gather times
 * out, a Dial is answered with the defaults, a Record lasts the default length). An input that
 * does not fit the request (a `press` asked for a Dial) is an error the engine reports as usage.
 */
export interface CallInputSource {
  next(request: InputRequest): Promise<CallInput | undefined>;
}

/** What the texter sends: a message, or nothing more (the conversation ends). */
export interface TextInput {
  body: string;
  media?: string[];
}

export interface TextInputSource {
  next(): Promise<TextInput | undefined>;
}

interface SimulateCommon {
  app: AppTarget | string;
  from?: string;
  to?: string;
  accountSid?: string;
  /** Signs every request with this token (X-Twilio-Signature); unsigned without one. */
  authToken?: string;
  /**
   * Sign for the URL the app believes it serves: every request URL is rebased onto this public
   * base before signing (the request still goes to `app`), as replay's --sign-for.
   */
  publicUrl?: string;
  /** A TwiML loop is reported as an error (not a hang) after this many requests. Default 100. */
  maxRequests?: number;
  /** Wait for real (Pause, Gather timeouts, dials) instead of advancing the simulated clock. */
  realtime?: boolean;
  /** How `realtime` waits (default a timer); rejects when the signal aborts. For tests and custom clocks. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onEvent?: (event: SimEvent) => void;
  /** Every HTTP exchange with the app, as a capture record (for --capture, verify and replay). */
  onExchange?: (record: CaptureRecord) => void;
  /**
   * Stops the run: a wait or a request under way ends at once, no more requests are made (no
   * final status callback), and the result ends with `end` {status canceled, reason aborted}.
   */
  signal?: AbortSignal;
  /** One undici connection pool shared by many simulations (`twhook test --jobs`); default one per simulation. */
  dispatcher?: Dispatcher;
}

export interface SimulateCallOptions extends SimulateCommon {
  inputs?: CallInput[] | CallInputSource;
  /** The caller hangs up after this many simulated seconds. */
  hangupAfter?: number;
  /** Defaults for a Dial or Record with no scripted input. */
  dialSeconds?: number;
  recordSeconds?: number;
  callSid?: string;
}

export interface SimulateTextOptions extends SimulateCommon {
  messages: TextInput[] | TextInputSource;
  /** Final status reported to the replies' status callbacks. Default delivered. */
  delivery?: 'delivered' | 'failed' | 'undelivered';
  /**
   * Twilio keeps cookies per From/To pair for 4 hours. Give a file to keep them across runs
   * (`twhook text` uses a jar under the config folder); without one they live for this run.
   */
  cookieFile?: string;
  /** Forget the stored conversation first. */
  newConversation?: boolean;
}

export interface SimulationResult {
  events: SimEvent[];
  end: EndSimEvent;
  /** True when the conversation ran to its natural end (not stopped) with no Twilio error. */
  ok: boolean;
}
