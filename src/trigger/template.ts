/**
 * The small template language of the fixtures. A string holds `{{token}}`s:
 *
 * - `{{name}}`: a variable (`{{duration|minutes}}` applies a filter: minutes rounds seconds up);
 * - `{{sid:SM}}`, `{{sid:ME:label}}`: a SID, 2 letters and 32 hex digits, the same for the same
 *   prefix and label within one run (so MessageSid and SmsSid agree);
 * - `{{now:iso}}`, `{{now:rfc2822}}`, `{{now:dlr}}` (YYMMDDhhmm, RawDlrDoneDate), `{{now:unix}}`;
 * - `{{step}}`: the step's index in its sequence; `{{i}}` or `{i}`: the index inside `repeat`;
 * - `{{each:list}}`: the list variable's item at the repeat index (cycling);
 * - `{{lookup:map:key}}`: the map variable's entry for the key variable's value.
 *
 * A string that is exactly one token whose value is missing (null) renders to undefined, and the
 * parameter holding it is left out: that is how optional fields disappear.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Json } from './fixtures.js';

/** Where random hex comes from: the system's generator, or a seed for reproducible runs. */
export interface RandomSource {
  hex(digits: number): string;
}

export function systemRandom(): RandomSource {
  return {
    hex: (digits) =>
      randomBytes(Math.ceil(digits / 2))
        .toString('hex')
        .slice(0, digits),
  };
}

/** A deterministic source: SHA-256 of the seed and a counter, so a seed gives the same SIDs every run. */
export function seededRandom(seed: string | number): RandomSource {
  let counter = 0;
  return {
    hex(digits) {
      let out = '';
      while (out.length < digits) out += createHash('sha256').update(`${seed}:${counter++}`).digest('hex');
      return out.slice(0, digits);
    },
  };
}

/** SIDs for one run: the same prefix and label give the same SID. */
export class SidSource {
  private readonly made = new Map<string, string>();
  constructor(private readonly random: RandomSource) {}

  sid(prefix: string, label = ''): string {
    const key = `${prefix}:${label}`;
    let sid = this.made.get(key);
    if (!sid) {
      sid = prefix + this.random.hex(32);
      this.made.set(key, sid);
    }
    return sid;
  }

  uuid(): string {
    const h = this.random.hex(32);
    // RFC 4122 version 4 layout, like the idempotency tokens Twilio sends.
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

export interface RenderContext {
  vars: Record<string, Json | undefined>;
  sids: SidSource;
  now: Date;
  step: number;
  /** The index inside a `repeat` block. */
  index?: number;
  /** Variables the templates read: to tell a user that a flag had no effect. */
  used: Set<string>;
}

const TOKEN = /\{\{([^{}]+)\}\}/g;
const WHOLE = /^\{\{([^{}]+)\}\}$/;

/** Renders a JSON value: templates inside its strings, recursively. Undefined means "leave out". */
export function render(value: Json, ctx: RenderContext): Json | undefined {
  if (typeof value === 'string') return renderString(value, ctx);
  if (Array.isArray(value)) {
    return value.map((item) => render(item, ctx)).filter((item): item is Json => item !== undefined);
  }
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      const rendered = render(item, ctx);
      if (rendered !== undefined) out[renderIndex(key, ctx)] = rendered;
    }
    return out;
  }
  return value;
}

/** `{i}` in a name or value of a repeat block. */
export function renderIndex(text: string, ctx: RenderContext): string {
  return ctx.index === undefined || !text.includes('{i}') ? text : text.replaceAll('{i}', String(ctx.index));
}

function renderString(raw: string, ctx: RenderContext): Json | undefined {
  const text = renderIndex(raw, ctx);
  const whole = WHOLE.exec(text);
  if (whole) {
    const value = evaluate(whole[1]!.trim(), ctx);
    if (value === undefined || value === null) return undefined;
    return typeof value === 'object' ? value : String(value);
  }
  return text.replace(TOKEN, (_m, token: string) => {
    const value = evaluate(token.trim(), ctx);
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

function evaluate(token: string, ctx: RenderContext): Json | undefined {
  const [head, ...rest] = token.split(':');
  switch (head) {
    case 'sid': {
      const [prefix, label] = rest;
      if (!prefix || !/^[A-Z]{2}$/.test(prefix))
        throw new Error(`template {{${token}}}: a SID prefix is two capital letters`);
      return ctx.sids.sid(prefix, label ?? '');
    }
    case 'now':
      return formatTime(ctx.now, rest[0] ?? 'iso');
    case 'step':
      return String(ctx.step);
    case 'i':
      return ctx.index === undefined ? undefined : String(ctx.index);
    case 'each': {
      const list = variable(rest[0]!, ctx);
      if (!Array.isArray(list) || !list.length) return undefined;
      return list[(ctx.index ?? 0) % list.length];
    }
    case 'lookup': {
      const map = variable(rest[0]!, ctx);
      const key = variable(rest[1]!, ctx);
      if (!map || typeof map !== 'object' || Array.isArray(map) || key === undefined || key === null) return undefined;
      return (map as Record<string, Json>)[String(key)];
    }
    default: {
      const [name, filter] = token.split('|').map((part) => part.trim());
      const value = variable(name!, ctx);
      if (!filter || value === undefined || value === null) return value;
      if (filter === 'minutes') return String(Math.ceil(Number(value) / 60));
      throw new Error(`template {{${token}}}: unknown filter ${filter}`);
    }
  }
}

function variable(name: string, ctx: RenderContext): Json | undefined {
  ctx.used.add(name);
  return ctx.vars[name];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

export function formatTime(date: Date, format: string): string {
  switch (format) {
    case 'iso':
      return date.toISOString();
    case 'unix':
      return String(Math.floor(date.getTime() / 1000));
    case 'rfc2822':
      // The form Twilio's callbacks use: "Tue, 10 Aug 2010 13:37:00 +0000".
      return `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
    case 'dlr':
      return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
    default:
      throw new Error(`template {{now:${format}}}: unknown time format`);
  }
}
