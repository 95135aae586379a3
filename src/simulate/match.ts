/**
 * How a spec's expectations meet what happened. Each `expect` matches the next event of its type
 * not matched yet (events of other types may come between), and an expectation written after an
 * input only looks at what happened after that input was used: the input source tells when.
 */
import type { SimEvent } from './events.js';
import type { ExpectStep, Pattern, SpecStep } from './spec.js';

/** The field a bare value (`say: "Welcome"`) is compared with, per event type. */
const PRIMARY: Partial<Record<SimEvent['type'], string>> = {
  say: 'text',
  play: 'url',
  pause: 'length',
  gather: 'input',
  record: 'action',
  dial: 'to',
  enqueue: 'queue',
  message: 'body',
  inbound: 'body',
  redirect: 'url',
  reject: 'reason',
  request: 'path',
  callback: 'kind',
  unsupported: 'verb',
  end: 'status',
  error: 'code',
};

/** An event as an expectation sees it: requests and redirects also have `path` (path and query). */
function fieldsOf(event: SimEvent): Record<string, unknown> {
  if (event.type === 'request' || event.type === 'redirect') {
    let path = event.url;
    try {
      const url = new URL(event.url);
      path = url.pathname + url.search;
    } catch {
      // a relative URL stays as it is
    }
    return { ...event, path };
  }
  return event as unknown as Record<string, unknown>;
}

export function matchValue(pattern: Pattern, value: unknown, field?: string): boolean {
  if (Array.isArray(value) && pattern.kind !== 'items' && pattern.kind !== 'any')
    return value.some((item) => matchValue(pattern, item, field));
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'text':
      if (value === undefined || value === null) return false;
      // A path is compared whole (with or without its query): "/voice" must not match "/voice/menu".
      if (field === 'path') return String(value) === pattern.text || String(value).split('?')[0] === pattern.text;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value) === pattern.text;
      return String(value).includes(pattern.text);
    case 'regex':
      if (value === undefined || value === null) return false;
      return pattern.regex.test(String(value));
    case 'value':
      if (pattern.value === null) return value === null || value === undefined;
      if (typeof pattern.value === 'number') return value !== null && value !== '' && Number(value) === pattern.value;
      return value === pattern.value || String(value) === String(pattern.value);
    case 'items': {
      const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
      return pattern.items.every((item) => list.some((v) => matchValue(item, v, field)));
    }
    case 'fields': {
      if (!value || typeof value !== 'object') return false;
      const object = value as Record<string, unknown>;
      return Object.entries(pattern.fields).every(([key, p]) => matchValue(p, object[key], key));
    }
  }
}

export function matchEvent(step: ExpectStep, event: SimEvent): boolean {
  if (event.type !== step.type) return false;
  const fields = fieldsOf(event);
  if (step.pattern.kind === 'fields') return matchValue(step.pattern, fields);
  const primary = PRIMARY[event.type];
  if (!primary) return step.pattern.kind === 'any';
  return matchValue(step.pattern, fields[primary], primary);
}

export interface StepFailure {
  step: SpecStep;
  /** One line: what was expected and what was found instead. */
  message: string;
  /** Index into the events where the search started (for the transcript around it). */
  index: number;
}

/**
 * Checks the steps against the events. `usedAt` maps each input step to the number of events
 * there were when the engine used it (undefined: never used). Returns the first failing step.
 */
export function checkSteps(
  steps: SpecStep[],
  events: SimEvent[],
  usedAt: Map<SpecStep, number>,
): StepFailure | undefined {
  let floor = 0;
  const cursor = new Map<string, number>();
  const end = events.find((e) => e.type === 'end');
  for (const step of steps) {
    if (step.kind === 'input') {
      const at = usedAt.get(step);
      if (at === undefined) {
        const why =
          end && end.type === 'end'
            ? `the ${step.input.kind === 'send' ? 'conversation' : 'call'} ended first (${end.reason})`
            : 'nothing asked for it';
        const waitsFor = inputWaitsFor(step.input.kind);
        return {
          step,
          message: `${step.text} was never used: ${why}${waitsFor ? `; it answers ${waitsFor}` : ''}`,
          index: Math.max(0, events.length - 1),
        };
      }
      floor = Math.max(floor, at);
      continue;
    }
    if (step.type === 'noReply') {
      // From the message sent just before this expectation to the next one sent.
      const own = events.findIndex((e, i) => i >= floor && e.type === 'inbound');
      let stop = events.length;
      for (let i = own + 1; own >= 0 && i < events.length; i++) {
        if (events[i]!.type === 'inbound') {
          stop = i;
          break;
        }
      }
      const reply = events.slice(floor, stop).findIndex((e) => e.type === 'message');
      if (reply >= 0) {
        const message = events[floor + reply]! as Extract<SimEvent, { type: 'message' }>;
        return { step, message: `expected no reply, got "${message.body}"`, index: floor + reply };
      }
      continue;
    }
    const start = Math.max(floor, (cursor.get(step.type) ?? -1) + 1);
    let found = -1;
    for (let i = start; i < events.length; i++) {
      if (matchEvent(step, events[i]!)) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      const candidates = events.slice(start).filter((e) => e.type === step.type);
      const got = candidates.length
        ? `got ${candidates.slice(0, 3).map(brief).join(', ')}${candidates.length > 3 ? ` and ${candidates.length - 3} more` : ''}`
        : `no ${step.type === 'message' ? 'reply' : step.type} came${start > 0 ? ' after that point' : ''}`;
      return { step, message: `expected ${step.text}: ${got}`, index: start };
    }
    cursor.set(step.type, found);
  }
  return undefined;
}

function inputWaitsFor(kind: string): string | undefined {
  switch (kind) {
    case 'press':
    case 'speak':
    case 'wait':
      return 'a <Gather>';
    case 'dial':
      return 'a <Dial>';
    case 'record':
      return 'a <Record>';
    case 'dequeue':
      return 'an <Enqueue>';
    case 'send':
      return undefined;
    default:
      return undefined;
  }
}

/** An event in a few words, for "got …". */
export function brief(event: SimEvent): string {
  const fields = fieldsOf(event);
  const primary = PRIMARY[event.type];
  if (event.type === 'gather') {
    const attrs = [
      `input=${event.input}`,
      event.numDigits !== undefined ? `numDigits=${event.numDigits}` : '',
      `timeout=${event.timeout}`,
    ].filter(Boolean);
    return `gather (${attrs.join(' ')})`;
  }
  if (event.type === 'request') return `request ${event.method} ${fields.path} → ${event.status || 'no answer'}`;
  if (!primary) return event.type;
  const value = fields[primary];
  const shown = Array.isArray(value)
    ? value.join(', ')
    : typeof value === 'string'
      ? JSON.stringify(value)
      : String(value);
  return `${event.type} ${shown.length > 70 ? shown.slice(0, 69) + '…' : shown}`;
}
