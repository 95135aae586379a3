/**
 * simulateText: a texter's messages to the app, one conversation, the way Twilio handles them
 * (https://www.twilio.com/docs/messaging/twiml). Each inbound message is a signed request to the
 * SMS URL; the answer's <Message> verbs are the replies (to the sender, from the number, unless
 * `to`/`from` say otherwise), `action` and <Redirect> are followed, and a text/plain answer is sent
 * back as the reply. Cookies are kept per From/To pair for four hours, across runs with a
 * `cookieFile`. Errors go to the fallback URL with ErrorCode and ErrorUrl, as for a call.
 */
import type { XmlElement } from '../webhooks/twiml.js';
import { answerDocument } from './answer.js';
import type { SimulateTextOptions, SimulationResult, TextInput, TextInputSource, WebhookTarget } from './api.js';
import { SimAborted, SimClock } from './clock.js';
import { conversationJar } from './cookies.js';
import type { EndSimEvent, SimEvent } from './events.js';
import { maskEventPasswords, withoutCredentials } from './credentials.js';
import { createAppHttp, type AppHttp } from './http.js';
import {
  API_VERSION,
  DEFAULT_ACCOUNT_SID,
  DEFAULT_FROM,
  DEFAULT_TO,
  messageParams,
  newSid,
  type Params,
  type Party,
} from './params.js';
import { readMessage, readRedirect } from './verbs.js';
import { LOOP_ERROR_CODE } from './voice.js';
import type { CookieJar } from 'tough-cookie';

interface Fetch {
  url: string;
  method: 'GET' | 'POST';
  params: Params;
}

export function textSource(messages: TextInput[] | TextInputSource): TextInputSource {
  if (!Array.isArray(messages)) return messages;
  const queue = [...messages];
  return { next: async () => queue.shift() };
}

export async function simulateText(options: SimulateTextOptions): Promise<SimulationResult> {
  const app = typeof options.app === 'string' ? { url: options.app } : options.app;
  const events: SimEvent[] = [];
  const clock = new SimClock({ realtime: options.realtime, signal: options.signal, sleep: options.sleep });
  const emit = (raw: SimEvent) => {
    // URL passwords stay out of what anyone sees: events, --json, the transcript, --save.
    const event = maskEventPasswords(raw);
    events.push(event);
    options.onEvent?.(event);
  };
  const party: Party = {
    accountSid: options.accountSid ?? DEFAULT_ACCOUNT_SID,
    from: options.from ?? DEFAULT_FROM,
    to: options.to ?? DEFAULT_TO,
  };
  const conversation = conversationJar({
    file: options.cookieFile,
    from: party.from,
    to: party.to,
    fresh: options.newConversation,
  });
  const http = await createAppHttp({
    authToken: options.authToken,
    publicUrl: options.publicUrl,
    clock,
    emit,
    onExchange: options.onExchange,
    signal: options.signal,
    dispatcher: options.dispatcher,
  });
  const texting = new Conversation(options, app, party, http, clock, emit, conversation.jar);
  try {
    const source = textSource(options.messages);
    let reason = 'end-of-conversation';
    for (let input = await source.next(); input; input = await source.next()) {
      if (options.signal?.aborted) {
        reason = 'aborted';
        break;
      }
      let outcome: 'ok' | 'loop';
      try {
        outcome = await texting.inbound(input);
      } catch (err) {
        if (!(err instanceof SimAborted)) throw err;
        reason = 'aborted';
        break;
      }
      conversation.save(new Date());
      if (outcome === 'loop') {
        reason = 'loop';
        break;
      }
    }
    const end: EndSimEvent = {
      type: 'end',
      t: clock.t,
      status: 'completed',
      duration: Math.round(clock.t),
      requests: http.count,
      reason,
    };
    emit(end);
    return { events, end, ok: !texting.hadError && reason !== 'loop' && reason !== 'aborted' };
  } finally {
    await http.close();
  }
}

class Conversation {
  hadError = false;

  constructor(
    private readonly options: SimulateTextOptions,
    private readonly app: Exclude<SimulateTextOptions['app'], string>,
    private readonly party: Party,
    private readonly http: AppHttp,
    private readonly clock: SimClock,
    private readonly emit: (event: SimEvent) => void,
    private readonly jar: CookieJar,
  ) {}

  private get t(): number {
    return this.clock.t;
  }

  /** One message from the texter, and everything the app does with it. */
  async inbound(input: TextInput): Promise<'ok' | 'loop'> {
    const media = input.media ?? [];
    this.emit({ type: 'inbound', t: this.t, from: this.party.from, to: this.party.to, body: input.body, media });
    const base = messageParams(this.party, newSid('SM'), input.body, media);
    let next: Fetch | undefined = { url: this.app.url, method: this.app.method ?? 'POST', params: base };
    let fallbackUsed = false;
    const before = this.http.count;
    const maxRequests = this.options.maxRequests ?? 100;
    while (next) {
      if (this.http.count - before >= maxRequests) {
        this.hadError = true;
        this.emit({
          type: 'error',
          t: this.t,
          code: LOOP_ERROR_CODE,
          message: `a TwiML loop: ${maxRequests} requests for one message (raise maxRequests if this is meant)`,
          url: next.url,
        });
        return 'loop';
      }
      const doc = await this.fetch(next);
      if ('error' in doc) {
        this.hadError = true;
        this.emit({ type: 'error', t: this.t, code: doc.error.code, message: doc.error.message, url: next.url });
        const fallback: WebhookTarget | undefined = this.app.fallback;
        if (fallback && !fallbackUsed) {
          fallbackUsed = true;
          next = {
            url: fallback.url,
            method: fallback.method ?? 'POST',
            params: { ...base, ErrorCode: String(doc.error.code), ErrorUrl: withoutCredentials(stripHash(next.url)) },
          };
          continue;
        }
        return 'ok';
      }
      next = await this.run(doc.verbs, doc.url, base);
    }
    return 'ok';
  }

  private async fetch(
    next: Fetch,
  ): Promise<{ verbs: XmlElement[]; url: string } | { error: { code: number; message: string } }> {
    const response = await this.http.send(
      { url: next.url, method: next.method, params: next.params, emit: true },
      this.jar,
    );
    // Stopped while the request was out: not the app's failure.
    if (this.options.signal?.aborted) throw new SimAborted();
    if (!response.answer) return { error: { code: 11200, message: response.failure } };
    return answerDocument(response.answer, 'messaging');
  }

  /** Runs a messaging document; returns the next document to fetch, if any. */
  private async run(verbs: XmlElement[], docUrl: string, base: Params): Promise<Fetch | undefined> {
    for (const el of verbs) {
      if (el.name === 'Redirect') {
        const redirect = readRedirect(el, docUrl);
        if (!redirect) continue;
        this.emit({ type: 'redirect', t: this.t, url: redirect.url, method: redirect.method });
        return { url: redirect.url, method: redirect.method, params: base };
      }
      if (el.name !== 'Message') {
        this.emit({ type: 'unsupported', t: this.t, verb: el.name });
        continue;
      }
      const m = readMessage(el, docUrl);
      const reply = { from: m.from ?? this.party.to, to: m.to ?? this.party.from, body: m.body, media: m.media };
      this.emit({ type: 'message', t: this.t, ...reply });
      const sid = newSid('SM');
      const statusCallback = m.statusCallback
        ? { url: m.statusCallback, method: 'POST' as const }
        : this.app.statusCallback;
      if (statusCallback) await this.deliveryCallbacks(statusCallback, sid, reply);
      // "If you provide an action URL, verbs after <Message> are unreachable": Twilio requests
      // it once the message is sent and runs its answer.
      if (m.action) {
        return {
          url: m.action,
          method: m.method,
          params: { ...base, MessageSid: sid, SmsSid: sid, MessageStatus: 'sent', SmsStatus: 'sent' },
        };
      }
    }
    return undefined;
  }

  /** queued, sent, then delivered (or undelivered, or failed without sent), as Twilio reports them. */
  private async deliveryCallbacks(
    target: WebhookTarget,
    sid: string,
    reply: { from: string; to: string },
  ): Promise<void> {
    const delivery = this.options.delivery ?? 'delivered';
    const statuses = delivery === 'failed' ? ['queued', 'failed'] : ['queued', 'sent', delivery];
    for (const status of statuses) {
      if (this.options.signal?.aborted) return; // stopped: no more requests
      const params: Params = {
        SmsSid: sid,
        SmsStatus: status,
        MessageStatus: status,
        To: reply.to,
        MessageSid: sid,
        AccountSid: this.party.accountSid,
        From: reply.from,
        ApiVersion: API_VERSION,
      };
      if (status === 'undelivered')
        Object.assign(params, { ErrorCode: '30003', ErrorMessage: 'Unreachable destination handset' });
      if (status === 'failed') Object.assign(params, { ErrorCode: '30008', ErrorMessage: 'Unknown error' });
      const response = await this.http.send({ url: target.url, method: target.method ?? 'POST', params }, this.jar);
      this.emit({
        type: 'callback',
        t: this.t,
        kind: 'message-status',
        url: target.url,
        params,
        status: response.answer?.status ?? 0,
      });
    }
  }
}

function stripHash(url: string): string {
  const i = url.indexOf('#');
  return i < 0 ? url : url.slice(0, i);
}
