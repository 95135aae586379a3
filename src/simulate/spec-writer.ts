/**
 * `twhook call … --save FILE.yaml` / `twhook text … --save`: what happened, written as a spec
 * that `twhook test` passes on the same app (a snapshot that becomes a regression test). Every
 * input is written where the engine took it, and the choices made for the caller (a Gather left
 * to time out, a Dial or Record answered with the defaults) are written out, so the spec replays
 * the same conversation whatever the defaults become.
 */
import { basename, extname } from 'node:path';
import { Document, visit } from 'yaml';
import type { CallInput, TextInput } from './api.js';
import type { SimEvent } from './events.js';
import type { UsedInput } from './inputs.js';
import type { WebhookSetting } from './spec.js';

export interface SavedHeader {
  name: string;
  channel: 'call' | 'text';
  app: string;
  method?: 'GET' | 'POST';
  from: string;
  to: string;
  fallback?: WebhookSetting;
  statusCallback?: WebhookSetting;
  statusEvents?: string[];
  maxRequests?: number;
  hangupAfter?: number;
  delivery?: string;
}

type Step = Record<string, unknown> | string;

/** A spec name from the file it is saved to: menu.yaml -> "menu". */
export function nameFromFile(file: string): string {
  return basename(file, extname(file)) || 'saved';
}

/** Text that reads as a /regex/ in a spec is written as the regex that matches it exactly. */
function literal(text: string): string {
  if (!/^\/.*\/[a-z]*$/s.test(text)) return text;
  return `/^${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$/`;
}

function inputStep(input: CallInput | TextInput): Step {
  if (!('kind' in input)) {
    const body = input.body;
    return input.media?.length ? { send: body, media: input.media } : { send: body };
  }
  switch (input.kind) {
    case 'press':
      return { press: input.digits };
    case 'speak':
      return { speak: input.text };
    case 'dial':
      return { dial: input.seconds !== undefined ? { status: input.status, seconds: input.seconds } : input.status };
    case 'record':
      return { record: input.digits ? { seconds: input.seconds, digits: input.digits } : input.seconds };
    case 'hangup':
      return 'hangup';
    case 'wait':
      return { wait: input.seconds };
    case 'dequeue': {
      const shape = {
        ...(input.after !== undefined ? { after: input.after } : {}),
        ...(input.seconds !== undefined ? { seconds: input.seconds } : {}),
      };
      if (shape.seconds !== undefined) return { dequeue: shape };
      return input.after !== undefined ? { dequeue: input.after } : 'dequeue';
    }
  }
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/** The expectation an event becomes; undefined for events a spec does not check (requests, callbacks). */
function expectation(event: SimEvent): Step | undefined {
  switch (event.type) {
    case 'say':
      return event.text.trim() ? { expect: { say: literal(event.text.trim()) } } : undefined;
    case 'play':
      return event.digits
        ? { expect: { play: { digits: event.digits } } }
        : event.url
          ? { expect: { play: literal(event.url) } }
          : undefined;
    case 'gather':
      return {
        expect: {
          gather: { input: event.input, ...(event.numDigits !== undefined ? { numDigits: event.numDigits } : {}) },
        },
      };
    case 'record':
      return { expect: 'record' };
    case 'dial':
      return { expect: { dial: event.to.length === 1 ? literal(event.to[0]!) : event.to } };
    case 'enqueue':
      return { expect: { enqueue: literal(event.queue) } };
    case 'redirect':
      return { expect: { redirect: literal(pathOf(event.url)) } };
    case 'hangup':
      return { expect: 'hangup' };
    case 'reject':
      return { expect: { reject: event.reason } };
    case 'message':
      return { expect: { reply: event.body ? literal(event.body) : { media: event.media } } };
    case 'error':
      return { expect: { error: { code: event.code } } };
    case 'end':
      return { expect: { end: event.status } };
    default:
      return undefined;
  }
}

/** The input a caller gave implicitly: a Gather that timed out, a Dial or Record with the defaults. */
function implicitInput(event: SimEvent): CallInput | undefined {
  switch (event.type) {
    case 'gather':
      return event.result === null ? { kind: 'wait', seconds: event.timeout } : undefined;
    case 'dial':
      return { kind: 'dial', status: event.outcome, seconds: event.duration };
    case 'record':
      return {
        kind: 'record',
        seconds: event.result.duration,
        ...(event.result.digits ? { digits: event.result.digits } : {}),
      };
    default:
      return undefined;
  }
}

export function specSteps(events: SimEvent[], used: UsedInput<unknown>[]): Step[] {
  const steps: Step[] = [];
  let next = 0;
  const flush = (upTo: number): boolean => {
    let any = false;
    while (next < used.length && used[next]!.at <= upTo) {
      steps.push(inputStep(used[next]!.input));
      next += 1;
      any = true;
    }
    return any;
  };
  let lastInbound = -1;
  let replied = true;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const waits = event.type === 'gather' || event.type === 'dial' || event.type === 'record';
    if (event.type === 'inbound' || event.type === 'end') {
      if (lastInbound >= 0 && !replied) steps.push({ expect: 'noReply' });
    }
    if (!waits) flush(i);
    const step = expectation(event);
    if (step) steps.push(step);
    if (waits && !flush(i)) {
      const implicit = implicitInput(event);
      if (implicit) steps.push(inputStep(implicit));
    }
    if (event.type === 'inbound') {
      lastInbound = i;
      replied = false;
    }
    if (event.type === 'message') replied = true;
  }
  flush(Number.POSITIVE_INFINITY);
  // A spec needs a step: a run that showed nothing checkable still ended.
  if (!steps.length) steps.push({ expect: 'end' });
  return steps;
}

/** The YAML text of one spec (flow style for each step, as the README's examples). */
/** A URL without the password of its user:password@ (a saved spec is a project file; passwords stay out). */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i, '$1');
}

export function specYaml(
  header: SavedHeader,
  events: SimEvent[],
  used: UsedInput<unknown>[],
  file = `${header.name}.yaml`,
): string {
  const target: Record<string, unknown> = { app: withoutPassword(header.app) };
  if (header.method && header.method !== 'POST') target.method = header.method;
  target.from = header.from;
  target.to = header.to;
  const hook = (h: WebhookSetting) =>
    h.method ? { url: withoutPassword(h.url), method: h.method } : withoutPassword(h.url);
  if (header.fallback) target.fallback = hook(header.fallback);
  if (header.statusCallback) target.statusCallback = hook(header.statusCallback);
  if (header.statusEvents) target.statusEvents = header.statusEvents;
  if (header.maxRequests !== undefined) target.maxRequests = header.maxRequests;
  if (header.hangupAfter !== undefined) target.hangupAfter = header.hangupAfter;
  if (header.delivery) target.delivery = header.delivery;
  const doc = new Document({ name: header.name, [header.channel]: target, steps: specSteps(events, used) });
  visit(doc, {
    // The call:/text: header on one line, each step on one line (`- expect: { say: … }`).
    Map(_key, node, path) {
      if (path.length === 3 || path.length >= 6) node.flow = true;
    },
    Seq(_key, node, path) {
      if (path.length >= 5) node.flow = true;
    },
  });
  return (
    `# Written by \`twhook ${header.channel} --save\`: check the app with \`twhook test ${file}\`\n` +
    doc.toString({ lineWidth: 0 })
  );
}
