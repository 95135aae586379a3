/**
 * Twilio connection overrides: the `#ct=1000&rc=2` fragment Twilio reads from a webhook URL to
 * set timeouts, retries, the egress edge and SNI for its requests to that URL. Pure: no I/O.
 *
 * Twilio never sends the fragment (it is not part of the request), so it is not part of the
 * signed URL either: `stripFragment` is what signing and verifying code uses.
 */
import { UsageError } from '../errors.js';

export const RETRY_POLICIES = ['4xx', '5xx', 'ct', 'rt', 'all'] as const;
export type RetryPolicy = (typeof RETRY_POLICIES)[number];

const EDGE_LOCATIONS = [
  'ashburn',
  'dublin',
  'frankfurt',
  'sao-paulo',
  'singapore',
  'sydney',
  'tokyo',
  'umatilla',
] as const;
/** Every edge Twilio accepts: the public edges, their Interconnect (`-ix`) forms, and `roaming`. */
export const EDGES = [...EDGE_LOCATIONS, ...EDGE_LOCATIONS.map((e) => `${e}-ix` as const), 'roaming'] as const;
export type Edge = (typeof EDGES)[number];

/** The settings of one URL's fragment. An absent key means Twilio's default applies. */
export interface Overrides {
  /** `ct`: connect timeout, ms. */
  connectTimeout?: number;
  /** `rt`: read timeout, ms. */
  readTimeout?: number;
  /** `tt`: total time for all attempts, ms. */
  totalTimeout?: number;
  /** `rc`: retries after the first attempt. */
  retryCount?: number;
  /** `rp`: which failures are retried. */
  retryPolicy?: RetryPolicy[];
  /** `e`: egress edges, rotated across retries. */
  edges?: Edge[];
  /** `sni`: send Server Name Indication (y) or not (n). */
  sni?: boolean;
}

export type OverrideName = keyof Overrides;
export type OverrideKey = 'ct' | 'rt' | 'tt' | 'rc' | 'rp' | 'e' | 'sni';

interface NumberSpec {
  kind: 'number';
  min: number;
  max: number;
  default: number;
}
interface ListSpec {
  kind: 'list';
  allowed: readonly string[];
  default: string[];
}
interface FlagSpec {
  kind: 'flag';
  default: boolean;
}

export type OverrideSpec = {
  key: OverrideKey;
  name: OverrideName;
  label: string;
} & (NumberSpec | ListSpec | FlagSpec);

/** Twilio's rules for each key, in the order fragments are built. */
export const OVERRIDE_SPECS: readonly OverrideSpec[] = [
  {
    key: 'ct',
    name: 'connectTimeout',
    label: 'connect timeout, ms',
    kind: 'number',
    min: 100,
    max: 10000,
    default: 5000,
  },
  { key: 'rt', name: 'readTimeout', label: 'read timeout, ms', kind: 'number', min: 100, max: 15000, default: 15000 },
  {
    key: 'tt',
    name: 'totalTimeout',
    label: 'total time for all attempts, ms',
    kind: 'number',
    min: 100,
    max: 15000,
    default: 15000,
  },
  { key: 'rc', name: 'retryCount', label: 'retry count', kind: 'number', min: 0, max: 5, default: 1 },
  { key: 'rp', name: 'retryPolicy', label: 'retry policy', kind: 'list', allowed: RETRY_POLICIES, default: ['ct'] },
  { key: 'e', name: 'edges', label: 'edge', kind: 'list', allowed: EDGES, default: [] },
  { key: 'sni', name: 'sni', label: 'SNI', kind: 'flag', default: true },
];

const SPEC_BY_KEY = new Map<string, OverrideSpec>(OVERRIDE_SPECS.map((s) => [s.key, s]));
const SPEC_BY_NAME = new Map<string, OverrideSpec>(OVERRIDE_SPECS.map((s) => [s.name, s]));

export function overrideSpec(keyOrName: OverrideKey | OverrideName): OverrideSpec {
  const spec = SPEC_BY_KEY.get(keyOrName) ?? SPEC_BY_NAME.get(keyOrName);
  if (!spec) throw new Error(`unknown override ${keyOrName}`);
  return spec;
}

/** What a key accepts, for error messages and help: "an integer from 100 to 10000". */
export function allowedText(spec: OverrideSpec): string {
  switch (spec.kind) {
    case 'number':
      return `an integer from ${spec.min} to ${spec.max} (default ${spec.default})`;
    case 'list':
      return `a comma list of ${spec.allowed.join(', ')}`;
    case 'flag':
      return 'y or n';
  }
}

function shown(value: string): string {
  const clipped = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(clipped);
}

function invalid(spec: OverrideSpec, value: string, why?: string): UsageError {
  return new UsageError(
    `invalid connection override ${spec.key}=${shown(value)}${why ? ` (${why})` : ''}: ${spec.key} (${spec.label}) takes ${allowedText(spec)}`,
  );
}

/**
 * Validates one value given as text (from a fragment or a command-line option) and returns it in
 * its typed form. Lists and flags are case-insensitive; numbers are plain decimal integers.
 */
export function parseOverrideValue(key: OverrideKey | OverrideName, raw: string): Overrides[OverrideName] {
  const spec = overrideSpec(key);
  const value = raw.trim();
  switch (spec.kind) {
    case 'number': {
      if (!/^\d{1,9}$/.test(value)) throw invalid(spec, raw);
      const n = Number(value);
      if (n < spec.min || n > spec.max) throw invalid(spec, raw, n < spec.min ? 'too small' : 'too large');
      return n;
    }
    case 'list': {
      const items = value
        .toLowerCase()
        .split(',')
        .map((s) => s.trim());
      for (const item of items) {
        if (!item) throw invalid(spec, raw, 'empty item');
        if (!spec.allowed.includes(item)) throw invalid(spec, raw, `unknown ${shown(item)}`);
      }
      return items as RetryPolicy[] | Edge[];
    }
    case 'flag': {
      const v = value.toLowerCase();
      if (v === 'y') return true;
      if (v === 'n') return false;
      throw invalid(spec, raw);
    }
  }
}

/** Checks an `Overrides` value built in code (an option set, a test) against Twilio's rules. */
export function validateOverrides(o: Overrides): Overrides {
  const out: Overrides = {};
  for (const spec of OVERRIDE_SPECS) {
    const v = o[spec.name];
    if (v === undefined) continue;
    const text = Array.isArray(v) ? v.join(',') : typeof v === 'boolean' ? (v ? 'y' : 'n') : String(v);
    (out as Record<string, unknown>)[spec.name] = parseOverrideValue(spec.key, text);
  }
  const unknown = Object.keys(o).filter((k) => !SPEC_BY_NAME.has(k));
  if (unknown.length)
    throw new UsageError(
      `unknown connection override ${unknown[0]}: known are ${OVERRIDE_SPECS.map((s) => s.name).join(', ')}`,
    );
  return out;
}

/**
 * Parses a fragment (with or without its leading `#`) into settings. An empty fragment is no
 * settings. Every problem is a UsageError naming the key, the value and what is allowed.
 */
export function parseOverrides(fragment: string): Overrides {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  const out: Overrides = {};
  if (text === '') return out;
  const seen = new Set<string>();
  for (const part of text.split('&')) {
    if (part === '')
      throw new UsageError(`invalid connection overrides ${shown('#' + text)}: empty setting between "&"`);
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const spec = SPEC_BY_KEY.get(key);
    if (!spec) {
      throw new UsageError(
        `unknown connection override ${shown(eq < 0 ? part : part.slice(0, eq))} in ${shown('#' + text)}: known keys are ${OVERRIDE_SPECS.map((s) => s.key).join(', ')}`,
      );
    }
    if (eq < 0) throw invalid(spec, '', 'no value');
    if (seen.has(key)) throw new UsageError(`connection override ${key} is given twice in ${shown('#' + text)}`);
    seen.add(key);
    let value = part.slice(eq + 1);
    try {
      value = decodeURIComponent(value);
    } catch {
      throw invalid(spec, value, 'bad percent-encoding');
    }
    (out as Record<string, unknown>)[spec.name] = parseOverrideValue(spec.key, value);
  }
  return out;
}

/** Builds the fragment text (no `#`) in Twilio's key order; empty settings give ''. */
export function formatOverrides(o: Overrides): string {
  const parts: string[] = [];
  for (const spec of OVERRIDE_SPECS) {
    const v = o[spec.name];
    if (v === undefined) continue;
    const text = Array.isArray(v) ? v.join(',') : typeof v === 'boolean' ? (v ? 'y' : 'n') : String(v);
    parts.push(`${spec.key}=${text}`);
  }
  return parts.join('&');
}

/** True when no key is set. */
export function isEmptyOverrides(o: Overrides | undefined): boolean {
  return !o || OVERRIDE_SPECS.every((s) => o[s.name] === undefined);
}

export interface SplitUrl {
  /** The URL up to (not including) `#`, byte for byte. */
  base: string;
  /** The raw fragment without `#`; '' when there is none. */
  fragment: string;
  /** True when the URL contains `#` (even an empty fragment). */
  hasFragment: boolean;
}

/** Splits at the first `#` without touching a byte of the rest. */
export function splitFragment(url: string): SplitUrl {
  const i = url.indexOf('#');
  if (i < 0) return { base: url, fragment: '', hasFragment: false };
  return { base: url.slice(0, i), fragment: url.slice(i + 1), hasFragment: true };
}

/** The URL without its fragment: what Twilio requests and signs. */
export function stripFragment(url: string): string {
  return splitFragment(url).base;
}

/** Splits a URL and parses its fragment as overrides (throws a UsageError naming the URL's key). */
export function splitOverrides(url: string): { base: string; overrides: Overrides; fragment: string } {
  const { base, fragment } = splitFragment(url);
  return { base, overrides: parseOverrides(fragment), fragment };
}

/** Like `splitOverrides` but never throws: for showing what a number has, whatever it holds. */
export function inspectOverrides(url: string): {
  base: string;
  fragment: string;
  overrides?: Overrides;
  error?: string;
} {
  const { base, fragment } = splitFragment(url);
  try {
    return { base, fragment, overrides: parseOverrides(fragment) };
  } catch (err) {
    return { base, fragment, error: (err as Error).message };
  }
}

/**
 * The URL with these settings in its fragment. By default they merge over the overrides the URL
 * already has (a key given here wins); `replace: true` drops the old ones. The URL before `#` is
 * kept byte for byte; no settings at all gives the URL without `#`.
 */
export function withOverrides(url: string, overrides: Overrides, options: { replace?: boolean } = {}): string {
  const { base, fragment } = splitFragment(url);
  const current = options.replace ? {} : parseOverrides(fragment);
  const merged: Overrides = { ...current };
  for (const spec of OVERRIDE_SPECS) {
    const v = overrides[spec.name];
    if (v !== undefined) (merged as Record<string, unknown>)[spec.name] = v;
  }
  const text = formatOverrides(validateOverrides(merged));
  return text ? `${base}#${text}` : base;
}

/** Every key with Twilio's default filled in where it is not set. */
export function effectiveOverrides(o: Overrides): Required<Overrides> {
  const out: Record<string, unknown> = {};
  for (const spec of OVERRIDE_SPECS) out[spec.name] = o[spec.name] ?? spec.default;
  return out as unknown as Required<Overrides>;
}

/** Voice stops waiting for a webhook after 15 s, whatever the overrides say. */
export const VOICE_CEILING_MS = 15000;

/**
 * Settings that are valid but cannot take effect as written. Only explicitly set keys are
 * considered, so Twilio's own defaults never cause a warning.
 */
export function overrideWarnings(o: Overrides, context: { voice?: boolean; plainHttp?: boolean } = {}): string[] {
  const warnings: string[] = [];
  const e = effectiveOverrides(o);
  if (o.retryCount === 0 && o.retryPolicy !== undefined) {
    warnings.push(
      `rc=0 makes no retries, so rp=${o.retryPolicy.join(',')} never applies: set rc to 1 or more, or drop rp`,
    );
  }
  if (o.retryCount === 0 && o.edges !== undefined && o.edges.length > 1) {
    warnings.push(
      `rc=0 makes no retries, so Twilio never rotates to the other edges of e=${o.edges.join(',')} (only ${o.edges[0]} is used): set rc to ${o.edges.length - 1} or more, or give one edge`,
    );
  }
  if (context.plainHttp && o.sni !== undefined) {
    warnings.push(
      `sni=${o.sni ? 'y' : 'n'} has no effect on an http:// URL (SNI is part of the TLS handshake): use https, or drop sni`,
    );
  }
  if (
    o.retryCount !== undefined &&
    o.retryCount > 0 &&
    o.connectTimeout !== undefined &&
    o.readTimeout !== undefined &&
    o.totalTimeout !== undefined
  ) {
    const attempt = o.connectTimeout + o.readTimeout;
    if (attempt >= o.totalTimeout) {
      warnings.push(
        `ct+rt=${attempt} ms is not below tt=${o.totalTimeout}: one attempt can use the whole total time, so the rc=${o.retryCount} ${o.retryCount === 1 ? 'retry' : 'retries'} may never run; lower ct or rt, or raise tt above ${attempt}`,
      );
    }
  }
  if (o.totalTimeout !== undefined && o.totalTimeout < e.connectTimeout) {
    warnings.push(
      `tt=${o.totalTimeout} is below ct=${e.connectTimeout}: Twilio gives up after ${o.totalTimeout} ms, so the connect timeout never runs out`,
    );
  }
  if (context.voice) {
    const attempt = (o.connectTimeout ?? 0) + (o.readTimeout ?? 0);
    if (o.connectTimeout !== undefined && o.readTimeout !== undefined && attempt > VOICE_CEILING_MS) {
      warnings.push(
        `ct+rt=${attempt} ms is above 15000 on a voice URL: voice has a hard 15 s ceiling, so an attempt is cut at 15000 ms`,
      );
    }
    if (o.retryCount !== undefined && o.retryCount > 0 && o.connectTimeout !== undefined) {
      const tries = o.retryCount + 1;
      if (tries * o.connectTimeout > VOICE_CEILING_MS) {
        warnings.push(
          `rc=${o.retryCount} with ct=${o.connectTimeout} asks for ${tries * o.connectTimeout} ms of connect attempts, above 15000 on a voice URL: voice has a hard 15 s ceiling, so the last retries never happen`,
        );
      }
    }
  }
  return warnings;
}

/** One short human line: "ct=1000 rc=2 rp=5xx,ct". */
export function describeOverrides(o: Overrides): string {
  const text = formatOverrides(o);
  return text ? text.split('&').join(' ') : 'Twilio defaults';
}
