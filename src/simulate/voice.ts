/**
 * simulateCall: an inbound call through the app's TwiML, the way Twilio runs it. The engine
 * requests the voice URL, executes each verb in order (https://www.twilio.com/docs/voice/twiml),
 * follows every action, Redirect and callback with signed requests, asks the caller (inputs) when
 * a Gather, Record or Dial waits for them, and reports everything as SimEvents, in order.
 *
 * Twilio's rules it follows, each from the verb's page:
 * - the end of a document ends the call; Gather with no input, Dial with no action, Enqueue with
 *   no action, and an empty Record continue with the next verb;
 * - Gather's and Record's action default to the current document's URL;
 * - an answer Twilio cannot use (non-2xx, no answer in time, wrong content type, bad XML, unknown
 *   verbs, over 64 kB) is a Twilio error: the fallback URL is requested with ErrorCode and
 *   ErrorUrl if one is set, otherwise the caller hears the application-error message and the call
 *   ends;
 * - <Reject> as the first verb leaves the call unanswered: busy (reason="busy") or no-answer.
 */
import { UsageError } from '../errors.js';
import type { XmlElement } from '../webhooks/twiml.js';
import { answerDocument } from './answer.js';
import type {
  CallInput,
  CallInputSource,
  InputRequest,
  SimulateCallOptions,
  SimulationResult,
  WebhookTarget,
} from './api.js';
import { rfc2822, SimAborted, SimClock } from './clock.js';
import { newJar } from './cookies.js';
import type { DialOutcome, EndSimEvent, GatherResult, LegField, SimEvent } from './events.js';
import { maskEventPasswords, withoutCredentials } from './credentials.js';
import { createAppHttp, type AppHttp } from './http.js';
import { inputFits } from './inputs.js';
import {
  callParams,
  DEFAULT_ACCOUNT_SID,
  DEFAULT_FROM,
  DEFAULT_TO,
  newSid,
  recordingUrl,
  type Params,
  type Party,
} from './params.js';
import {
  optionalAction,
  readDial,
  readEnqueue,
  readGather,
  readPause,
  readPlay,
  readRecord,
  readRedirect,
  readSay,
  sayingSeconds,
} from './verbs.js';

/** What a caller hears when the app fails and no fallback saves the call. */
export const APPLICATION_ERROR_MESSAGE = "We're sorry, an application error has occurred. Goodbye.";
export const DEFAULT_DIAL_SECONDS = 10;
export const DEFAULT_RECORD_SECONDS = 5;
/** twhook's own code for a TwiML loop (not a Twilio error: Twilio would go on until the caller hangs up). */
export const LOOP_ERROR_CODE = 0;

interface Fetch {
  url: string;
  method: 'GET' | 'POST';
  /** Parameters on top of the call's own. */
  params: Params;
}

type Flow =
  | { kind: 'fetch'; next: Fetch }
  | { kind: 'end'; reason: string; status: string }
  | { kind: 'leave' }
  | { kind: 'continue' };

class CallerHungUp extends Error {}
/** An agent took the queued caller (a `dequeue` input's time came, mid-verb if need be). */
class Dequeued extends Error {}

/**
 * An audio file's length is unknown to the simulator; in a queue's hold music each <Play> of a URL
 * counts this long, so that QueueTime moves and a `dequeue` after N seconds comes.
 */
export const HOLD_PLAY_SECONDS = 30;

/** What a <Number url> whisper may run (https://www.twilio.com/docs/voice/twiml/number#url). */
const WHISPER_VERBS = new Set(['Say', 'Play', 'Pause', 'Gather', 'Redirect', 'Hangup', 'Reject']);

/** Inputs given as a list are consumed in order; undefined when none is left. */
export function inputSource(inputs: CallInput[] | CallInputSource | undefined): CallInputSource {
  if (!inputs) return { next: async () => undefined };
  if (!Array.isArray(inputs)) return inputs;
  const queue = [...inputs];
  return {
    // An Enqueue takes the next input only when it is a dequeue or a hangup (inputs.ts).
    next: async (request) =>
      request.kind === 'enqueue' && queue[0] && !inputFits(queue[0], request) ? undefined : queue.shift(),
  };
}

function describeInput(input: CallInput): string {
  switch (input.kind) {
    case 'press':
      return `press ${JSON.stringify(input.digits)}`;
    case 'speak':
      return `speak ${JSON.stringify(input.text)}`;
    case 'dial':
      return `dial ${input.status}`;
    case 'record':
      return `record ${input.seconds} s`;
    case 'hangup':
      return 'hangup';
    case 'wait':
      return `wait ${input.seconds} s`;
    case 'dequeue':
      return `dequeue${input.after !== undefined ? ` after ${input.after} s` : ''}`;
  }
}

export async function simulateCall(options: SimulateCallOptions): Promise<SimulationResult> {
  const app = typeof options.app === 'string' ? { url: options.app } : options.app;
  const events: SimEvent[] = [];
  const clock = new SimClock({ realtime: options.realtime, signal: options.signal, sleep: options.sleep });
  // While a whisper runs on the called party's leg, every event (its requests included) says so.
  const leg: LegField = {};
  const emit = (raw: SimEvent) => {
    // URL passwords stay out of what anyone sees: events, --json, the transcript, --save.
    const event = maskEventPasswords(leg.leg ? { ...raw, leg: leg.leg } : raw);
    events.push(event);
    options.onEvent?.(event);
  };
  const http = await createAppHttp({
    authToken: options.authToken,
    publicUrl: options.publicUrl,
    clock,
    emit,
    onExchange: options.onExchange,
    signal: options.signal,
    dispatcher: options.dispatcher,
  });
  try {
    const call = new Call(options, app, http, clock, emit, leg);
    const end = await call.run();
    return { events, end, ok: !call.hadError && end.reason !== 'loop' && end.reason !== 'aborted' };
  } finally {
    await http.close();
  }
}

class Call {
  hadError = false;
  private answered = false;
  private fallbackUsed = false;
  private sequence = 0;
  private inputCount = 0;
  private readonly jar = newJar();
  private readonly party: Party;
  private readonly callSid: string;
  private readonly inputs: CallInputSource;
  private readonly maxRequests: number;
  /** While the caller waits in a queue: when a scripted dequeue takes them (simulated seconds). */
  private queueWait?: { dequeueAt?: number };

  constructor(
    private readonly options: SimulateCallOptions,
    private readonly app: Exclude<SimulateCallOptions['app'], string>,
    private readonly http: AppHttp,
    private readonly clock: SimClock,
    private readonly emit: (event: SimEvent) => void,
    /** Set to callee while a whisper runs (simulateCall's emit marks the events). */
    private readonly leg: LegField = {},
  ) {
    this.party = {
      accountSid: options.accountSid ?? DEFAULT_ACCOUNT_SID,
      from: options.from ?? DEFAULT_FROM,
      to: options.to ?? DEFAULT_TO,
    };
    this.callSid = options.callSid ?? newSid('CA');
    this.inputs = inputSource(options.inputs);
    this.maxRequests = options.maxRequests ?? 100;
  }

  private get t(): number {
    return this.clock.t;
  }

  async run(): Promise<EndSimEvent> {
    let end: { reason: string; status: string };
    try {
      await this.statusCallback('initiated');
      await this.statusCallback('ringing');
      end = await this.loop({ url: this.app.url, method: this.app.method ?? 'POST', params: {} });
    } catch (err) {
      if (err instanceof SimAborted) end = { reason: 'aborted', status: 'canceled' };
      else if (err instanceof CallerHungUp) end = { reason: 'caller-hangup', status: 'completed' };
      else throw err;
    }
    const duration = this.answered ? Math.round(this.t) : 0;
    await this.statusCallback('completed', end.status, duration);
    const event: EndSimEvent = {
      type: 'end',
      t: this.t,
      status: end.status,
      duration,
      requests: this.http.count,
      reason: end.reason,
    };
    this.emit(event);
    return event;
  }

  private async loop(first: Fetch): Promise<{ reason: string; status: string }> {
    let next = first;
    for (;;) {
      const doc = await this.fetchDoc(next);
      if ('end' in doc) return doc.end;
      const flow = await this.runVerbs(doc.verbs, doc.url, false);
      if (flow.kind === 'fetch') next = flow.next;
      else if (flow.kind === 'end') return flow;
      else return { reason: 'end-of-document', status: 'completed' };
    }
  }

  /** Requests a document; an error goes to the fallback URL once, else ends the call. */
  private async fetchDoc(
    next: Fetch,
    inQueue = false,
    /** The call's own parameters, replaced for another leg (a whisper's called party). */
    base?: Params,
  ): Promise<{ verbs: XmlElement[]; url: string } | { end: { reason: string; status: string } }> {
    if (this.http.count >= this.maxRequests) {
      this.hadError = true;
      this.emit({
        type: 'error',
        t: this.t,
        code: LOOP_ERROR_CODE,
        message: `a TwiML loop: ${this.maxRequests} requests and the call goes on (raise maxRequests if this is meant)`,
        url: next.url,
      });
      return { end: { reason: 'loop', status: 'completed' } };
    }
    const params = base ? { ...base } : callParams(this.party, this.callSid, this.answered ? 'in-progress' : 'ringing');
    for (const name in next.params) params[name] = next.params[name]!;
    const response = await this.http.send(
      { url: next.url, method: next.method, params, voice: true, emit: true },
      this.jar,
    );
    // Stopped while the request was out: not the app's failure, and nothing more is asked of it.
    if (this.options.signal?.aborted) throw new SimAborted();
    if (!response.answer) return this.fail(11200, response.failure, next, inQueue);
    const doc = answerDocument(response.answer, 'voice');
    if ('error' in doc) return this.fail(doc.error.code, doc.error.message, next, inQueue);
    return doc;
  }

  private async fail(code: number, message: string, failed: Fetch, inQueue: boolean) {
    this.hadError = true;
    this.emit({ type: 'error', t: this.t, code, message, url: failed.url });
    const fallback: WebhookTarget | undefined = this.app.fallback;
    if (fallback && !this.fallbackUsed && !inQueue) {
      this.fallbackUsed = true;
      return this.fetchDoc({
        url: fallback.url,
        method: fallback.method ?? 'POST',
        params: { ...failed.params, ErrorCode: String(code), ErrorUrl: withoutCredentials(stripHash(failed.url)) },
      });
    }
    if (inQueue) return { end: { reason: 'error', status: 'completed' } };
    this.emit({ type: 'say', t: this.t, text: APPLICATION_ERROR_MESSAGE, loop: 1 });
    this.answered = true;
    await this.wait(sayingSeconds(APPLICATION_ERROR_MESSAGE));
    return { end: { reason: 'error', status: 'completed' } };
  }

  private async answer(): Promise<void> {
    if (this.answered) return;
    this.answered = true;
    await this.statusCallback('answered');
  }

  /** Moves the clock; the caller hangs up when hangupAfter comes, an agent dequeues when its time comes. */
  private async wait(seconds: number): Promise<void> {
    const limit = this.options.hangupAfter;
    const dequeueAt = this.queueWait?.dequeueAt;
    if (dequeueAt !== undefined && this.t + seconds >= dequeueAt && (limit === undefined || dequeueAt < limit)) {
      await this.clock.advance(dequeueAt - this.t);
      throw new Dequeued();
    }
    if (limit !== undefined && this.t + seconds >= limit) {
      await this.clock.advance(limit - this.t);
      throw new CallerHungUp();
    }
    await this.clock.advance(seconds);
  }

  /** loop="0": Twilio repeats until the caller hangs up. */
  private async untilHangup(): Promise<never> {
    if (this.queueWait) {
      // Hold music on a loop: the agent comes at the scripted time, else after one round of it.
      await this.wait(this.queueWait.dequeueAt !== undefined ? Infinity : HOLD_PLAY_SECONDS);
      throw new Dequeued();
    }
    const limit = this.options.hangupAfter;
    if (limit !== undefined) await this.wait(Math.max(0, limit - this.t));
    throw new CallerHungUp();
  }

  private async nextInput(request: InputRequest): Promise<CallInput | undefined> {
    const input = await this.inputs.next(request);
    if (input) this.inputCount++;
    return input;
  }

  private misfit(input: CallInput, at: string): UsageError {
    return new UsageError(`input ${this.inputCount} (${describeInput(input)}) does not fit: the call is at ${at}`);
  }

  private async runVerbs(verbs: XmlElement[], docUrl: string, inQueue: boolean): Promise<Flow> {
    for (const el of verbs) {
      if (this.options.signal?.aborted) return { kind: 'end', reason: 'aborted', status: 'canceled' };
      // A whisper plays to the called party: no Dial, queue or recording of its own.
      if (this.leg.leg && !WHISPER_VERBS.has(el.name)) {
        this.emit({ type: 'unsupported', t: this.t, verb: el.name });
        continue;
      }
      switch (el.name) {
        case 'Say':
        case 'Play':
        case 'Pause':
          await this.answer();
          await this.prompt(el, docUrl);
          break;
        case 'Gather': {
          await this.answer();
          const flow = await this.gather(el, docUrl);
          if (flow) return flow;
          break;
        }
        case 'Record': {
          await this.answer();
          const flow = await this.record(el, docUrl);
          if (flow) return flow;
          break;
        }
        case 'Dial': {
          await this.answer();
          const flow = await this.dial(el, docUrl);
          if (flow) return flow;
          break;
        }
        case 'Enqueue': {
          await this.answer();
          const flow = await this.enqueue(el, docUrl);
          if (flow) return flow;
          break;
        }
        case 'Leave':
          // Only a waitUrl's document can leave a queue; elsewhere Twilio has nothing to leave.
          if (inQueue) return { kind: 'leave' };
          break;
        case 'Redirect': {
          const redirect = readRedirect(el, docUrl);
          if (!redirect) break;
          this.emit({ type: 'redirect', t: this.t, url: redirect.url, method: redirect.method });
          return { kind: 'fetch', next: { url: redirect.url, method: redirect.method, params: {} } };
        }
        case 'Hangup':
          await this.answer();
          this.emit({ type: 'hangup', t: this.t });
          return { kind: 'end', reason: 'hangup', status: 'completed' };
        case 'Reject': {
          const reason = el.attributes.reason?.trim() === 'busy' ? 'busy' : 'rejected';
          this.emit({ type: 'reject', t: this.t, reason });
          // Only a first verb keeps the call unanswered; later, it just ends the answered call.
          return {
            kind: 'end',
            reason: 'reject',
            status: this.answered ? 'completed' : reason === 'busy' ? 'busy' : 'no-answer',
          };
        }
        case 'Connect':
        case 'Pay':
        case 'Refer': {
          // Twilio runs these until they finish, then requests `action` or goes on with the next verb.
          await this.answer();
          this.emit({ type: 'unsupported', t: this.t, verb: el.name });
          const action = optionalAction(el, docUrl);
          if (action) return { kind: 'fetch', next: { url: action, method: methodOf(el), params: {} } };
          break;
        }
        case 'Echo':
          // Echo repeats the caller's voice until they hang up.
          await this.answer();
          this.emit({ type: 'unsupported', t: this.t, verb: el.name });
          await this.untilHangup();
          break;
        default:
          // Start, Stop (they run beside the call) and <Sms> (retired): the call goes on.
          this.emit({ type: 'unsupported', t: this.t, verb: el.name });
      }
    }
    return { kind: 'continue' };
  }

  /** Say, Play, Pause: on their own or inside a Gather. */
  private async prompt(el: XmlElement, docUrl: string): Promise<void> {
    if (el.name === 'Say') {
      const say = readSay(el);
      this.emit({
        type: 'say',
        t: this.t,
        text: say.text,
        ...(say.voice ? { voice: say.voice } : {}),
        ...(say.language ? { language: say.language } : {}),
        loop: say.loop,
      });
      if (say.loop === 0) await this.untilHangup();
      await this.wait(sayingSeconds(say.text) * say.loop);
    } else if (el.name === 'Play') {
      const play = readPlay(el, docUrl);
      this.emit({
        type: 'play',
        t: this.t,
        ...(play.url ? { url: play.url } : {}),
        loop: play.loop,
        ...(play.digits ? { digits: play.digits } : {}),
      });
      if (play.loop === 0) await this.untilHangup();
      // An audio file's length is unknown here: only DTMF tones take time (half a second each),
      // and hold music in a queue (HOLD_PLAY_SECONDS).
      if (play.digits)
        await this.wait(play.digits.replace(/w/gi, '').length * 0.5 + (play.digits.match(/w/gi)?.length ?? 0) * 0.5);
      else if (play.url && this.queueWait) await this.wait(HOLD_PLAY_SECONDS * play.loop);
    } else if (el.name === 'Pause') {
      const { length } = readPause(el);
      this.emit({ type: 'pause', t: this.t, length });
      await this.wait(length);
    }
  }

  private async gather(el: XmlElement, docUrl: string): Promise<Flow | undefined> {
    const g = readGather(el, docUrl);
    for (const child of el.children) await this.prompt(child, docUrl);
    const description = {
      input: g.input,
      ...(g.numDigits ? { numDigits: g.numDigits } : {}),
      finishOnKey: g.finishOnKey,
      timeout: g.timeout,
      action: g.action,
      // The called party answers a whisper's Gather (a prompt says so).
      ...(this.leg.leg ? { leg: this.leg.leg } : {}),
    };
    const input = await this.nextInput({ kind: 'gather', gather: description });
    let result: GatherResult = null;
    const params: Params = {};
    const at = `<Gather input="${g.input}">`;
    if (!input || input.kind === 'wait') {
      await this.wait(g.timeout);
    } else if (input.kind === 'hangup') {
      throw new CallerHungUp();
    } else if (input.kind === 'press') {
      if (!g.input.split(' ').includes('dtmf')) throw this.misfit(input, at);
      let digits = '';
      let finished = '';
      for (const key of input.digits) {
        if (g.finishOnKey && g.finishOnKey.includes(key)) {
          finished = key;
          break;
        }
        digits += key;
        if (g.numDigits && digits.length >= g.numDigits) break;
      }
      // Without the finish key or enough digits, Gather waits `timeout` seconds after the last key.
      if (!finished && !(g.numDigits && digits.length >= g.numDigits)) await this.wait(g.timeout);
      else await this.wait(digits.length * 0.3);
      if (digits) {
        result = { digits };
        params.Digits = digits;
        params.FinishedOnKey = finished;
      }
    } else if (input.kind === 'speak') {
      if (!g.input.split(' ').includes('speech')) throw this.misfit(input, at);
      await this.wait(sayingSeconds(input.text) + 1);
      if (input.text) {
        result = { speech: input.text };
        params.SpeechResult = input.text;
        params.Confidence = '0.9';
      }
    } else {
      throw this.misfit(input, at);
    }
    this.emit({ type: 'gather', t: this.t, ...description, result });
    if (result || g.actionOnEmptyResult) return { kind: 'fetch', next: { url: g.action, method: g.method, params } };
    return undefined;
  }

  private async record(el: XmlElement, docUrl: string): Promise<Flow | undefined> {
    const r = readRecord(el, docUrl);
    const input = await this.nextInput({ kind: 'record', maxLength: r.maxLength });
    let duration = this.options.recordSeconds ?? DEFAULT_RECORD_SECONDS;
    let digits: string | undefined;
    let hungUp = false;
    if (input?.kind === 'record') {
      duration = input.seconds;
      digits = input.digits ? [...input.digits].find((k) => r.finishOnKey.includes(k)) : undefined;
    } else if (input?.kind === 'press') {
      digits = [...input.digits].find((k) => r.finishOnKey.includes(k));
    } else if (input?.kind === 'wait') {
      duration = 0;
    } else if (input?.kind === 'hangup') {
      hungUp = true;
    } else if (input) {
      throw this.misfit(input, '<Record>');
    }
    duration = Math.max(0, Math.min(Math.round(duration), r.maxLength));
    // A recording ends on a finish key, at maxLength, or after `timeout` seconds of silence.
    const silence = digits || hungUp || duration >= r.maxLength ? 0 : r.timeout;
    await this.wait(duration + silence).catch((err: unknown) => {
      if (err instanceof CallerHungUp) hungUp = true;
      else throw err;
    });
    if (hungUp) digits = 'hangup';
    this.emit({
      type: 'record',
      t: this.t,
      action: r.action,
      maxLength: r.maxLength,
      result: { duration, ...(digits ? { digits } : {}) },
    });
    // "If Twilio receives an empty recording, it will not make a request to the action URL."
    if (duration === 0) {
      if (hungUp) throw new CallerHungUp();
      return undefined;
    }
    const recordingSid = newSid('RE');
    const url = recordingUrl(this.party.accountSid, recordingSid);
    if (r.recordingStatusCallback && r.recordingStatusCallbackEvent.includes('completed')) {
      const params: Params = {
        AccountSid: this.party.accountSid,
        CallSid: this.callSid,
        RecordingSid: recordingSid,
        RecordingUrl: url,
        RecordingStatus: 'completed',
        RecordingDuration: String(duration),
        RecordingChannels: '1',
        RecordingStartTime: rfc2822(new Date(this.clock.now().getTime() - duration * 1000)),
        RecordingSource: 'RecordVerb',
        ErrorCode: '0',
      };
      await this.callback(
        'recording',
        { url: r.recordingStatusCallback, method: r.recordingStatusCallbackMethod },
        params,
      );
    }
    const params: Params = {
      RecordingUrl: url,
      RecordingSid: recordingSid,
      RecordingDuration: String(duration),
      ...(digits ? { Digits: digits } : {}),
    };
    if (hungUp) {
      // Twilio still reports the recording; the call is over, so the answer is not run.
      await this.tellAfterHangup(r.action, r.method, params);
      throw new CallerHungUp();
    }
    return { kind: 'fetch', next: { url: r.action, method: r.method, params } };
  }

  /** An action Twilio still requests after the caller hung up (the call is over: its answer is not run). */
  private async tellAfterHangup(url: string, method: 'GET' | 'POST', params: Params): Promise<void> {
    await this.http.send(
      {
        url,
        method,
        params: { ...callParams(this.party, this.callSid, 'completed'), ...params },
        voice: true,
        emit: true,
      },
      this.jar,
    );
  }

  /**
   * https://www.twilio.com/docs/voice/twiml/dial: the dialled party answers (or not, as the `dial`
   * input says); a <Number url> whisper runs on their leg first (whisper()); then the call lasts
   * its length. With `record`, the recording (from the answer, or from the ringing) is reported to
   * recordingStatusCallback and to `action` with RecordingUrl, RecordingSid, RecordingDuration.
   */
  private async dial(el: XmlElement, docUrl: string): Promise<Flow | undefined> {
    const d = readDial(el, docUrl);
    const input = await this.nextInput({ kind: 'dial', to: d.to });
    let outcome: DialOutcome = 'completed';
    let seconds = this.options.dialSeconds ?? DEFAULT_DIAL_SECONDS;
    if (input?.kind === 'dial') {
      outcome = input.status;
      if (input.seconds !== undefined) seconds = input.seconds;
    } else if (input?.kind === 'hangup') {
      throw new CallerHungUp();
    } else if (input && input.kind !== 'wait') {
      throw this.misfit(input, `<Dial> ${d.to.join(', ')}`);
    }
    const dialSid = newSid('CA');
    if (outcome === 'completed' && d.whisper) {
      const answered = await this.whisper(d, dialSid);
      if (answered === 'loop') return { kind: 'end', reason: 'loop', status: 'completed' };
      outcome = answered;
    }
    const duration = outcome === 'completed' ? Math.max(0, Math.min(Math.round(seconds), d.timeLimit)) : 0;
    const ringing = outcome === 'no-answer' ? d.timeout : 0;
    // record-from-ringing includes the ringing; record-from-answer only the connected call.
    const recorded =
      d.record === 'do-not-record' ? 0 : d.record.startsWith('record-from-ringing') ? ringing + duration : duration;
    const recording = recorded > 0 ? { sid: newSid('RE'), channels: d.record.endsWith('-dual') ? 2 : 1 } : undefined;
    const startedAt = this.clock.now();
    if (recording) await this.recordingCallback(d, 'in-progress', recording, 0, startedAt);
    await this.wait(ringing + duration);
    this.emit({
      type: 'dial',
      t: this.t,
      to: d.to,
      ...(d.action ? { action: d.action } : {}),
      outcome,
      duration,
      ...(recording ? { recording: { duration: recorded, channels: recording.channels } } : {}),
    });
    if (recording) await this.recordingCallback(d, 'completed', recording, recorded, startedAt);
    if (!d.action) return undefined;
    const params: Params = {
      DialCallStatus: outcome,
      DialCallSid: dialSid,
      ...(outcome === 'completed' ? { DialCallDuration: String(duration) } : {}),
      ...(recording
        ? {
            RecordingUrl: recordingUrl(this.party.accountSid, recording.sid),
            RecordingSid: recording.sid,
            RecordingDuration: String(recorded),
          }
        : {}),
    };
    return { kind: 'fetch', next: { url: d.action, method: d.method, params } };
  }

  /** A Dial's recording status callback, for the events recordingStatusCallbackEvent names. */
  private async recordingCallback(
    d: ReturnType<typeof readDial>,
    status: 'in-progress' | 'completed',
    recording: { sid: string; channels: number },
    duration: number,
    startedAt: Date,
  ): Promise<void> {
    if (!d.recordingStatusCallback || !d.recordingStatusCallbackEvent.includes(status)) return;
    await this.callback(
      'recording',
      { url: d.recordingStatusCallback, method: d.recordingStatusCallbackMethod },
      {
        AccountSid: this.party.accountSid,
        CallSid: this.callSid,
        RecordingSid: recording.sid,
        RecordingUrl: recordingUrl(this.party.accountSid, recording.sid),
        RecordingStatus: status,
        RecordingDuration: String(duration),
        RecordingChannels: String(recording.channels),
        RecordingStartTime: rfc2822(startedAt),
        RecordingSource: 'DialVerb',
        ErrorCode: '0',
      },
    );
  }

  /**
   * https://www.twilio.com/docs/voice/twiml/number#url: when the called party answers, Twilio
   * requests the noun's `url` for their leg (their own CallSid, ParentCallSid the caller's,
   * Direction outbound-dial, From the callerId, To the party) and runs its TwiML for them while
   * the caller still hears ringing; the parties are connected when it ends. A <Hangup> (or
   * <Reject>) there declines the call: the Dial ends as not answered. Its events have leg callee.
   */
  private async whisper(d: ReturnType<typeof readDial>, childSid: string): Promise<DialOutcome | 'loop'> {
    const w = d.whisper!;
    const base: Params = {
      ...callParams(
        { accountSid: this.party.accountSid, from: d.callerId ?? this.party.from, to: w.to },
        childSid,
        'in-progress',
      ),
      Direction: 'outbound-dial',
      ParentCallSid: this.callSid,
    };
    this.leg.leg = 'callee';
    try {
      let next: Fetch | undefined = { url: w.url, method: w.method, params: {} };
      while (next) {
        const doc = await this.fetchDoc(next, true, base);
        // An error on the called party's leg drops it (no fallback: that is the caller's).
        if ('end' in doc) return doc.end.reason === 'loop' ? 'loop' : 'failed';
        const flow = await this.runVerbs(doc.verbs, doc.url, false);
        if (flow.kind === 'fetch') next = flow.next;
        else if (flow.kind === 'end') return 'no-answer';
        else next = undefined;
      }
      return 'completed';
    } finally {
      this.leg.leg = undefined;
    }
  }

  /**
   * The caller waits in the queue (https://www.twilio.com/docs/voice/twiml/enqueue): Twilio requests
   * waitUrl with the queue's parameters and plays its TwiML (Say, Play, Pause, Gather, Redirect,
   * Leave, Hangup), and requests it again each time it ends, QueueTime grown, until the caller
   * leaves: <Leave> (QueueResult leave), <Hangup> or the caller hanging up (hangup), an error
   * (error), or an agent taking the call (bridged). The agent is scripted: a `dequeue` input given
   * next takes the caller `after` seconds into the wait; by default, when the waitUrl's document
   * has run once (at once without a waitUrl: Twilio's own hold music is not simulated). A bridged
   * call lasts the input's `seconds` (default the Dial length). Then `action` with QueueResult,
   * QueueSid and QueueTime (also after a hangup, though its answer is not run), or the next verb.
   */
  private async enqueue(el: XmlElement, docUrl: string): Promise<Flow | undefined> {
    const q = readEnqueue(el, docUrl);
    const input = await this.nextInput({
      kind: 'enqueue',
      queue: q.queue,
      ...(q.waitUrl ? { waitUrl: q.waitUrl } : {}),
    });
    if (input?.kind === 'hangup') throw new CallerHungUp();
    if (input && input.kind !== 'dequeue') throw this.misfit(input, `<Enqueue> ${q.queue}`);
    const queueSid = newSid('QU');
    const entered = this.t;
    const queueTime = () => String(Math.round(this.t - entered));
    const queueParams = (): Params => ({
      QueueSid: queueSid,
      QueuePosition: '1',
      QueueTime: queueTime(),
      AvgQueueTime: '0',
      CurrentQueueSize: '1',
      MaxQueueSize: '1000',
    });
    const talk = input?.seconds ?? this.options.dialSeconds ?? DEFAULT_DIAL_SECONDS;
    this.queueWait = input?.after !== undefined ? { dequeueAt: entered + input.after } : {};
    let result = 'bridged';
    let ended: Flow | undefined;
    try {
      let next: Fetch | undefined = q.waitUrl ? { url: q.waitUrl, method: q.waitUrlMethod, params: {} } : undefined;
      while (next) {
        const doc = await this.fetchDoc({ ...next, params: { ...next.params, ...queueParams() } }, true);
        if ('end' in doc) {
          if (doc.end.reason === 'loop') return { kind: 'end', ...doc.end };
          result = 'error';
          break;
        }
        const flow = await this.runVerbs(doc.verbs, doc.url, true);
        if (flow.kind === 'fetch') next = flow.next;
        else if (flow.kind === 'leave') {
          result = 'leave';
          next = undefined;
        } else if (flow.kind === 'end') {
          result = 'hangup';
          ended = flow;
          next = undefined;
        } else if (this.queueWait.dequeueAt !== undefined) {
          // The document ended before the agent came: Twilio requests waitUrl again.
          next = { url: q.waitUrl!, method: q.waitUrlMethod, params: {} };
        } else next = undefined;
      }
    } catch (err) {
      if (err instanceof CallerHungUp) {
        result = 'hangup';
        ended = { kind: 'end', reason: 'caller-hangup', status: 'completed' };
      } else if (!(err instanceof Dequeued)) throw err;
    } finally {
      this.queueWait = undefined;
    }
    const waited = queueTime();
    this.emit({
      type: 'enqueue',
      t: this.t,
      queue: q.queue,
      ...(q.waitUrl ? { waitUrl: q.waitUrl } : {}),
      result,
      queueTime: Number(waited),
      ...(result === 'bridged' ? { duration: talk } : {}),
    });
    const actionParams: Params = { QueueResult: result, QueueSid: queueSid, QueueTime: waited };
    if (ended) {
      // The caller is gone: the action still hears how the wait ended, its answer is not run.
      if (q.action) {
        await this.tellAfterHangup(q.action, q.method, actionParams);
      }
      return ended;
    }
    if (result === 'bridged') await this.wait(talk);
    if (!q.action) return undefined;
    return { kind: 'fetch', next: { url: q.action, method: q.method, params: actionParams } };
  }

  private async callback(kind: 'status' | 'recording', target: WebhookTarget, params: Params): Promise<void> {
    if (this.options.signal?.aborted) return; // stopped: no more requests
    const response = await this.http.send({ url: target.url, method: target.method ?? 'POST', params }, this.jar);
    this.emit({ type: 'callback', t: this.t, kind, url: target.url, params, status: response.answer?.status ?? 0 });
  }

  /** https://www.twilio.com/docs/voice/api/call-resource#statuscallback */
  private async statusCallback(
    event: 'initiated' | 'ringing' | 'answered' | 'completed',
    finalStatus?: string,
    duration?: number,
  ): Promise<void> {
    const target = this.app.statusCallback;
    if (!target) return;
    const wanted = this.app.statusEvents?.length ? this.app.statusEvents : ['completed'];
    if (!wanted.includes(event)) return;
    const status = event === 'answered' ? 'in-progress' : event === 'completed' ? (finalStatus ?? 'completed') : event;
    const params: Params = {
      ...callParams(this.party, this.callSid, status),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(this.sequence++),
      Timestamp: rfc2822(this.clock.now()),
    };
    if (event === 'completed') {
      params.CallDuration = String(duration ?? 0);
      params.Duration = String(Math.ceil((duration ?? 0) / 60));
      params.SipResponseCode = status === 'busy' ? '486' : status === 'no-answer' ? '487' : '200';
    }
    await this.callback('status', target, params);
  }
}

function methodOf(el: XmlElement): 'GET' | 'POST' {
  return el.attributes.method?.trim().toUpperCase() === 'GET' ? 'GET' : 'POST';
}

function stripHash(url: string): string {
  const i = url.indexOf('#');
  return i < 0 ? url : url.slice(0, i);
}
