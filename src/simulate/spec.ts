/**
 * Spec files for `twhook test` (and what `call --save` / `text --save` write): YAML or JSON, one
 * or several specs per file (`---` between YAML documents, or a top-level list), each a call or a
 * text conversation with its steps. Parsed with the `yaml` package keeping every node's line, so
 * that a spec error, and later a failed step, points at file:line. Everything is checked before
 * anything runs: an invalid spec is a SpecError (exit 2) naming the place and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import type { CallInput, TextInput } from './api.js';
import type { DialOutcome } from './events.js';
import { unreadableReason, UsageError } from '../errors.js';

export interface SpecPlace {
  file: string;
  line: number;
}

/** What an expectation compares a field with. */
export type Pattern =
  | { kind: 'any' }
  | { kind: 'text'; text: string }
  | { kind: 'regex'; regex: RegExp }
  | { kind: 'value'; value: number | boolean | null }
  | { kind: 'fields'; fields: Record<string, Pattern> }
  | { kind: 'items'; items: Pattern[] };

/** The event types an `expect` can name (`reply` is another name for `message`). */
export const EXPECT_TYPES = [
  'say',
  'play',
  'pause',
  'gather',
  'record',
  'dial',
  'enqueue',
  'message',
  'inbound',
  'redirect',
  'hangup',
  'reject',
  'request',
  'callback',
  'unsupported',
  'end',
  'error',
  'noReply',
] as const;
export type ExpectType = (typeof EXPECT_TYPES)[number];

export interface ExpectStep {
  kind: 'expect';
  type: ExpectType;
  pattern: Pattern;
  at: SpecPlace;
  /** The expectation as a short text, for failure messages: `say /busy/i`. */
  text: string;
}

export type SpecInput = CallInput | ({ kind: 'send' } & TextInput);

export interface InputStep {
  kind: 'input';
  input: SpecInput;
  at: SpecPlace;
  text: string;
}

export type SpecStep = ExpectStep | InputStep;

export interface WebhookSetting {
  url: string;
  method?: 'GET' | 'POST';
}

export interface Spec {
  name: string;
  channel: 'call' | 'text';
  at: SpecPlace;
  /** As written: a URL, a path-less URL or a port (resolved by the runner); absent when --app gives it. */
  app?: string;
  method?: 'GET' | 'POST';
  from?: string;
  to?: string;
  fallback?: WebhookSetting;
  statusCallback?: WebhookSetting;
  statusEvents?: string[];
  maxRequests?: number;
  hangupAfter?: number;
  dialSeconds?: number;
  recordSeconds?: number;
  delivery?: 'delivered' | 'failed' | 'undelivered';
  steps: SpecStep[];
}

/** An invalid spec: exit 2, with the place. */
export class SpecError extends UsageError {
  constructor(
    readonly at: SpecPlace,
    readonly problem: string,
  ) {
    super(`${at.file}:${at.line}: ${problem}`);
  }
}

export const DIAL_OUTCOMES: readonly DialOutcome[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];
const DELIVERY = ['delivered', 'failed', 'undelivered'] as const;
const STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];
const DIGITS = /^[0-9*#w]+$/;

/** Reads and parses a spec file; a missing file is a UsageError. */
export function readSpecFile(file: string, shown = file): Spec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${shown}: ${unreadableReason(err)}`);
  }
  return parseSpecs(text, shown);
}

/** Every spec in one file's text. */
export function parseSpecs(text: string, file: string): Spec[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: YamlNode | null | undefined, fallback = 1): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : fallback;
  const specs: Spec[] = [];
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
      throw new SpecError(
        { file, line },
        `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
    const root = doc.contents as YamlNode | null;
    if (root === null || (isScalar(root) && root.value === null)) continue; // an empty document (a trailing ---)
    const reader = new NodeReader(file, lineOf, text);
    if (isSeq(root)) for (const item of root.items) specs.push(reader.spec(item as YamlNode, specs.length));
    else specs.push(reader.spec(root, specs.length));
  }
  if (!specs.length)
    throw new SpecError({ file, line: 1 }, 'no spec in this file (a spec has a name, call: or text:, and steps:)');
  const names = new Map<string, Spec>();
  for (const spec of specs) {
    const earlier = names.get(spec.name);
    if (earlier)
      throw new SpecError(
        spec.at,
        `a second spec named "${spec.name}" (the first is at line ${earlier.at.line}): names tell failures apart`,
      );
    names.set(spec.name, spec);
  }
  return specs;
}

/** Text as written in a spec: `/re/flags` is a regular expression, anything else a substring. */
export function textPattern(text: string, at: SpecPlace): Pattern {
  const m = /^\/(.*)\/([dgimsuvy]*)$/s.exec(text);
  if (!m || text.length < 2) return { kind: 'text', text };
  try {
    return { kind: 'regex', regex: new RegExp(m[1]!, m[2]!.replace('g', '')) };
  } catch (err) {
    throw new SpecError(at, `${text} is not a valid regular expression: ${(err as Error).message}`);
  }
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

class NodeReader {
  constructor(
    private readonly file: string,
    private readonly lineOf: (node: YamlNode | null | undefined, fallback?: number) => number,
    private readonly source: string,
  ) {}

  private at(node: YamlNode | null | undefined, fallback?: SpecPlace): SpecPlace {
    return { file: this.file, line: this.lineOf(node, fallback?.line ?? 1) };
  }

  private fail(node: YamlNode | null | undefined, problem: string, fallback?: SpecPlace): never {
    throw new SpecError(this.at(node, fallback), problem);
  }

  /** A map's entries with their key and value nodes, keys as strings. */
  private entries(node: YamlNode, what: string): Array<{ key: string; keyNode: YamlNode; value: YamlNode | null }> {
    if (!isMap(node)) this.fail(node, `${what} must be a mapping (key: value)`);
    return node.items.map((pair) => {
      const keyNode = pair.key as YamlNode;
      const key = isScalar(keyNode) ? String(keyNode.value) : this.fail(keyNode, `${what}: keys must be plain words`);
      return { key, keyNode, value: (pair.value as YamlNode | null) ?? null };
    });
  }

  private plain(node: YamlNode | null): Plain {
    if (node === null) return null;
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      return String(v);
    }
    if (isSeq(node)) return node.items.map((item) => this.plain(item as YamlNode));
    if (isMap(node)) return Object.fromEntries(this.entries(node, 'a value').map((e) => [e.key, this.plain(e.value)]));
    return this.fail(node, 'aliases and tags are not supported in specs');
  }

  private string(node: YamlNode | null, what: string, parent?: SpecPlace): string {
    const v = this.plain(node);
    if (typeof v === 'string' && v !== '') return v;
    // A plain +15558675310 or 007 reads as a number in YAML: keep it as written.
    if (typeof v === 'number')
      return isScalar(node) && node.type === 'PLAIN' && node.range
        ? this.source.slice(node.range[0], node.range[1]).trim()
        : String(v);
    return this.fail(node, `${what} must be text${v === null || v === '' ? ', and it is empty' : ''}`, parent);
  }

  private seconds(node: YamlNode | null, what: string, parent?: SpecPlace, min = 0): number {
    const v = this.plain(node);
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
      return this.fail(
        node,
        `${what} must be a number of seconds${min > 0 ? ` (at least ${min})` : ''}, not ${JSON.stringify(v)}`,
        parent,
      );
    }
    return n;
  }

  private webhook(node: YamlNode | null, what: string): WebhookSetting {
    if (node && isMap(node)) {
      const out: Partial<WebhookSetting> = {};
      for (const { key, value, keyNode } of this.entries(node, what)) {
        if (key === 'url') out.url = this.string(value, `${what}.url`);
        else if (key === 'method') out.method = this.method(value, `${what}.method`);
        else this.fail(keyNode, `${what} takes url and method, not ${key}`);
      }
      if (!out.url) this.fail(node, `${what} needs a url`);
      return out as WebhookSetting;
    }
    return { url: this.string(node, what) };
  }

  private method(node: YamlNode | null, what: string): 'GET' | 'POST' {
    const v = String(this.plain(node)).toUpperCase();
    if (v !== 'GET' && v !== 'POST') this.fail(node, `${what} is GET or POST, not ${JSON.stringify(this.plain(node))}`);
    return v;
  }

  spec(node: YamlNode, index: number): Spec {
    const at = this.at(node);
    const spec: Partial<Spec> & { at: SpecPlace } = { at };
    let stepsNode: YamlNode | null | undefined;
    for (const { key, keyNode, value } of this.entries(node, 'a spec')) {
      switch (key) {
        case 'name':
          spec.name = this.string(value, 'name');
          break;
        case 'call':
        case 'text':
          if (spec.channel)
            this.fail(keyNode, `a spec is a call or a text conversation, not both (${spec.channel}: is already given)`);
          spec.channel = key;
          this.header(spec, value, key, at);
          break;
        case 'steps':
          stepsNode = value;
          break;
        default:
          this.fail(keyNode, `unknown key "${key}": a spec has name, call or text, and steps`);
      }
    }
    if (!spec.channel) this.fail(node, 'say what this spec runs: call: { app: … } or text: { app: … }');
    spec.name ??= `${this.file} #${index + 1}`;
    if (!stepsNode || !isSeq(stepsNode))
      this.fail(stepsNode ?? node, 'steps: must be a list (- expect: …, - press: …)', at);
    spec.steps = stepsNode.items.map((item) => this.step(item as YamlNode, spec.channel!));
    if (!spec.steps.length) this.fail(stepsNode, 'steps: is empty');
    return spec as Spec;
  }

  private header(spec: Partial<Spec>, node: YamlNode | null, channel: 'call' | 'text', parent: SpecPlace): void {
    if (node === null || (isScalar(node) && node.value === null)) return; // `call:` alone: --app gives the app
    if (isScalar(node)) {
      spec.app = this.string(node, `${channel}.app`, parent);
      return;
    }
    const callOnly = new Set(['hangupAfter', 'dialSeconds', 'recordSeconds', 'statusEvents']);
    for (const { key, keyNode, value } of this.entries(node, `${channel}:`)) {
      if (channel === 'text' && callOnly.has(key))
        this.fail(keyNode, `${key} applies to calls, not to text conversations`);
      switch (key) {
        case 'app':
          spec.app = this.string(value, `${channel}.app`);
          break;
        case 'method':
          spec.method = this.method(value, `${channel}.method`);
          break;
        case 'from':
        case 'to':
          spec[key] = this.string(value, `${channel}.${key}`);
          break;
        case 'fallback':
        case 'statusCallback':
          spec[key] = this.webhook(value, `${channel}.${key}`);
          break;
        case 'statusEvents': {
          const v = this.plain(value);
          const list =
            typeof v === 'string' ? v.split(',').map((s) => s.trim()) : Array.isArray(v) ? v.map(String) : [];
          const bad = list.find((e) => !STATUS_EVENTS.includes(e));
          if (!list.length || bad !== undefined)
            this.fail(value, `call.statusEvents lists ${STATUS_EVENTS.join(', ')}${bad ? `, not "${bad}"` : ''}`);
          spec.statusEvents = list;
          break;
        }
        case 'maxRequests':
          spec.maxRequests = this.seconds(value, 'maxRequests', undefined, 1);
          break;
        case 'hangupAfter':
        case 'dialSeconds':
        case 'recordSeconds':
          spec[key] = this.seconds(value, `call.${key}`);
          break;
        case 'delivery': {
          const v = this.plain(value);
          if (channel !== 'text')
            this.fail(keyNode, "delivery applies to text conversations (the replies' final status)");
          if (!DELIVERY.includes(v as never))
            this.fail(value, `text.delivery is ${DELIVERY.join(', ')}, not ${JSON.stringify(v)}`);
          spec.delivery = v as Spec['delivery'];
          break;
        }
        default:
          this.fail(
            keyNode,
            `unknown key "${key}" in ${channel}: (it takes app, method, from, to, fallback, statusCallback, maxRequests${
              channel === 'call' ? ', statusEvents, hangupAfter, dialSeconds, recordSeconds' : ', delivery'
            })`,
          );
      }
    }
  }

  private step(node: YamlNode, channel: 'call' | 'text'): SpecStep {
    const at = this.at(node);
    // `- hangup`, `- expect: hangup`: a bare word
    if (isScalar(node)) {
      const word = String(node.value);
      if (word === 'hangup' && channel === 'call')
        return { kind: 'input', input: { kind: 'hangup' }, at, text: 'hangup' };
      if (word === 'dequeue' && channel === 'call')
        return { kind: 'input', input: { kind: 'dequeue' }, at, text: 'dequeue' };
      this.fail(
        node,
        `a step is "expect: …" or an input (${channel === 'call' ? 'press, speak, dial, record, hangup, wait, dequeue' : 'send'}), not ${JSON.stringify(word)}`,
      );
    }
    const entries = this.entries(node, 'a step');
    const main = entries.find((e) => e.key !== 'media');
    if (!main) this.fail(node, 'media: goes with a send: step');
    const extra = entries.filter((e) => e !== main && !(main.key === 'send' && e.key === 'media'));
    if (extra.length)
      this.fail(
        extra[0]!.keyNode,
        `one thing per step: "${main.key}" and "${extra[0]!.key}" are two steps (a new line starting with -)`,
      );
    const { key, value } = main;
    if (key === 'expect') return this.expect(value, at, channel);
    const callInputs = ['press', 'speak', 'dial', 'record', 'hangup', 'wait', 'dequeue'];
    if (channel === 'text' && callInputs.includes(key))
      this.fail(main.keyNode, `${key} is a call input; a text conversation sends messages (send: …)`);
    if (channel === 'call' && key === 'send')
      this.fail(main.keyNode, 'send is a text input; a call takes press, speak, dial, record, hangup, wait, dequeue');
    const shown = `${key}: ${JSON.stringify(this.plain(value))}`;
    switch (key) {
      case 'press': {
        const digits = this.string(value, 'press', at);
        if (!DIGITS.test(digits))
          this.fail(value, `press takes keypad keys (0-9, * and #, w to wait), not "${digits}"`, at);
        return { kind: 'input', input: { kind: 'press', digits }, at, text: shown };
      }
      case 'speak':
        return { kind: 'input', input: { kind: 'speak', text: this.string(value, 'speak', at) }, at, text: shown };
      case 'dial': {
        if (value && isMap(value)) {
          let status: DialOutcome = 'completed';
          let seconds: number | undefined;
          for (const e of this.entries(value, 'dial:')) {
            if (e.key === 'status') status = this.outcome(e.value);
            else if (e.key === 'seconds') seconds = this.seconds(e.value, 'dial.seconds');
            else this.fail(e.keyNode, `dial: takes status and seconds, not ${e.key}`);
          }
          return {
            kind: 'input',
            input: { kind: 'dial', status, ...(seconds !== undefined ? { seconds } : {}) },
            at,
            text: shown,
          };
        }
        return { kind: 'input', input: { kind: 'dial', status: this.outcome(value, at) }, at, text: shown };
      }
      case 'record': {
        if (value && isMap(value)) {
          let seconds = 5;
          let digits: string | undefined;
          for (const e of this.entries(value, 'record:')) {
            if (e.key === 'seconds') seconds = this.seconds(e.value, 'record.seconds');
            else if (e.key === 'digits') {
              digits = this.string(e.value, 'record.digits');
              if (!DIGITS.test(digits)) this.fail(e.value, `record.digits takes keypad keys, not "${digits}"`);
            } else this.fail(e.keyNode, `record: takes seconds and digits, not ${e.key}`);
          }
          return { kind: 'input', input: { kind: 'record', seconds, ...(digits ? { digits } : {}) }, at, text: shown };
        }
        return {
          kind: 'input',
          input: { kind: 'record', seconds: this.seconds(value, 'record', at) },
          at,
          text: shown,
        };
      }
      case 'hangup':
        return { kind: 'input', input: { kind: 'hangup' }, at, text: 'hangup' };
      case 'dequeue': {
        // dequeue: 45 (an agent takes the queued caller 45 s in), or { after, seconds } (and talks that long).
        if (value && isMap(value)) {
          const input: CallInput & { kind: 'dequeue' } = { kind: 'dequeue' };
          for (const e of this.entries(value, 'dequeue:')) {
            if (e.key === 'after') input.after = this.seconds(e.value, 'dequeue.after');
            else if (e.key === 'seconds') input.seconds = this.seconds(e.value, 'dequeue.seconds');
            else this.fail(e.keyNode, `dequeue: takes after and seconds, not ${e.key}`);
          }
          return { kind: 'input', input, at, text: shown };
        }
        if (value === null || (isScalar(value) && value.value === null))
          return { kind: 'input', input: { kind: 'dequeue' }, at, text: 'dequeue' };
        return {
          kind: 'input',
          input: { kind: 'dequeue', after: this.seconds(value, 'dequeue', at) },
          at,
          text: shown,
        };
      }
      case 'wait':
        return { kind: 'input', input: { kind: 'wait', seconds: this.seconds(value, 'wait', at) }, at, text: shown };
      case 'send': {
        const mediaEntry = entries.find((e) => e.key === 'media');
        let body: string;
        let media: string[] = [];
        if (value && isMap(value)) {
          body = '';
          for (const e of this.entries(value, 'send:')) {
            if (e.key === 'body') body = String(this.plain(e.value) ?? '');
            else if (e.key === 'media') media = this.mediaList(e.value);
            else this.fail(e.keyNode, `send: takes body and media, not ${e.key}`);
          }
        } else {
          const v = this.plain(value);
          if (v !== null && typeof v === 'object')
            this.fail(value, 'send: takes the message text (or { body, media })', at);
          body = v === null ? '' : String(v);
        }
        if (mediaEntry) media = [...media, ...this.mediaList(mediaEntry.value)];
        if (!body && !media.length) this.fail(value, 'send: needs a body or media (an empty message is not sent)', at);
        return { kind: 'input', input: { kind: 'send', body, ...(media.length ? { media } : {}) }, at, text: shown };
      }
      default:
        this.fail(
          main.keyNode,
          `unknown step "${key}": a step is expect: or an input (${channel === 'call' ? 'press, speak, dial, record, hangup, wait, dequeue' : 'send'})`,
        );
    }
  }

  private mediaList(node: YamlNode | null): string[] {
    const v = this.plain(node);
    const list = Array.isArray(v) ? v : [v];
    return list.map((item) => {
      if (typeof item !== 'string' || !/^https?:\/\/\S+$/i.test(item))
        this.fail(node, `media takes http(s) URLs, not ${JSON.stringify(item)}`);
      return item;
    });
  }

  private outcome(node: YamlNode | null, parent?: SpecPlace): DialOutcome {
    const v = this.plain(node);
    if (!DIAL_OUTCOMES.includes(v as DialOutcome)) {
      this.fail(
        node,
        `dial: is the dialled party's answer, ${DIAL_OUTCOMES.join(', ')}, not ${JSON.stringify(v)}`,
        parent,
      );
    }
    return v as DialOutcome;
  }

  private expect(node: YamlNode | null, at: SpecPlace, channel: 'call' | 'text'): ExpectStep {
    const known = `say, play, pause, gather, record, dial, enqueue, message (or reply), redirect, hangup, reject, request, end, error, noReply, callback, unsupported`;
    if (node === null) this.fail(null, `expect: names what should happen (${known})`, at);
    let type: string;
    let valueNode: YamlNode | null = null;
    let bare = false;
    if (isScalar(node)) {
      type = String(node.value);
      bare = true;
    } else {
      const entries = this.entries(node, 'expect:');
      if (entries.length !== 1)
        this.fail(
          node,
          `one expectation per expect: (this one has ${entries.length}: ${entries.map((e) => e.key).join(', ')})`,
        );
      type = entries[0]!.key;
      valueNode = entries[0]!.value;
    }
    if (type === 'reply') type = 'message';
    if (!(EXPECT_TYPES as readonly string[]).includes(type)) this.fail(node, `expect: ${type}? It takes ${known}`);
    const voiceOnly = ['say', 'play', 'pause', 'gather', 'record', 'dial', 'enqueue', 'hangup', 'reject'];
    if (channel === 'text' && voiceOnly.includes(type))
      this.fail(
        node,
        `${type} happens on calls; a text conversation has message (reply), redirect, request, error, end, noReply`,
      );
    if (channel === 'call' && (type === 'message' || type === 'inbound' || type === 'noReply')) {
      this.fail(node, `${type} is for text conversations; on a call expect say, play, gather, dial, …`);
    }
    const pattern = bare || valueNode === null ? ({ kind: 'any' } as Pattern) : this.pattern(valueNode, type);
    if (type === 'noReply' && pattern.kind !== 'any' && !(pattern.kind === 'value' && pattern.value === true)) {
      this.fail(valueNode, 'noReply takes no value (expect: noReply)');
    }
    const shownValue = bare || valueNode === null ? '' : ` ${shortJson(this.plain(valueNode))}`;
    return {
      kind: 'expect',
      type: type as ExpectType,
      pattern: type === 'noReply' ? { kind: 'any' } : pattern,
      at,
      text: `${type}${shownValue}`,
    };
  }

  private pattern(node: YamlNode, type: string): Pattern {
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string') return textPattern(v, this.at(node));
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) return { kind: 'value', value: v };
      return { kind: 'text', text: String(v) };
    }
    if (isSeq(node)) return { kind: 'items', items: node.items.map((item) => this.pattern(item as YamlNode, type)) };
    const fields: Record<string, Pattern> = {};
    for (const { key, value } of this.entries(node, `${type}:`))
      fields[key] = value === null ? { kind: 'value', value: null } : this.pattern(value, type);
    return { kind: 'fields', fields };
  }
}

function shortJson(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 79) + '…' : text;
}
