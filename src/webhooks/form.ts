/**
 * application/x-www-form-urlencoded, the way Twilio sends webhook bodies and the way the twilio
 * SDK's validateRequest expects the parsed parameters: names and values decoded ('+' is a space),
 * a name given more than once becomes an array of its values in order.
 */
import { unescape as legacyUnescape } from 'node:querystring';

/** Parsed form parameters, as Express's urlencoded parser (and validateRequest) see them. */
export type FormParams = Record<string, string | string[]>;

/** Parameters to encode: a record (arrays repeat the name) or ordered [name, value] pairs. */
export type FormInput = FormParams | ReadonlyArray<readonly [string, string]>;

function decode(text: string): string {
  // Most webhook fields (SIDs, statuses, E.164 numbers with %2B) take the cheap path or none.
  if (text.indexOf('+') !== -1) text = text.replaceAll('+', ' ');
  if (text.indexOf('%') === -1) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape (%E9 alone, a stray %): decode what can be decoded, like Node's
    // querystring and body-parser do, rather than reject the whole body.
    return legacyUnescape(text);
  }
}

/**
 * Parses a form body. A null-prototype object, so parameter names such as `__proto__` or
 * `constructor` are plain keys. Empty segments (`a=1&&b=2`) are skipped; `a` alone is `a=''`.
 */
export function parseForm(body: string): FormParams {
  if (!body) return new Params();
  // Fast path: when no '&' or '=' is percent-encoded, decoding the whole body once (one native
  // call instead of two per field) cannot change where fields split.
  if (
    body.indexOf('%') === -1 ||
    (body.indexOf('%26') === -1 && body.indexOf('%3D') === -1 && body.indexOf('%3d') === -1)
  ) {
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(body.indexOf('+') === -1 ? body : body.replaceAll('+', ' '));
    } catch {
      decoded = undefined; // a malformed escape: field by field below
    }
    if (decoded !== undefined) return splitDecoded(decoded);
  }
  return split(body, decode);
}

/**
 * The parameters object: no prototype properties (a name such as `constructor` or `__proto__`
 * is a plain key), yet V8 keeps it in fast mode, unlike Object.create(null), which makes the
 * stores here and Object.keys() in the SDK measurably cheaper.
 */
const Params = function Params() {} as unknown as { new (): FormParams };
Params.prototype = Object.create(null);

/** The fast path's split: the body is already decoded. */
function splitDecoded(body: string): FormParams {
  const params = new Params();
  const length = body.length;
  let start = 0;
  while (start < length) {
    let end = body.indexOf('&', start);
    if (end === -1) end = length;
    if (end > start) {
      let eq = body.indexOf('=', start);
      if (eq === -1 || eq > end) eq = end;
      const name = body.slice(start, eq);
      const value = eq < end ? body.slice(eq + 1, end) : '';
      const previous = params[name];
      if (previous === undefined) params[name] = value;
      else if (typeof previous === 'string') params[name] = [previous, value];
      else previous.push(value);
    }
    start = end + 1;
  }
  return params;
}

function split(body: string, decodeField: (text: string) => string): FormParams {
  const params = new Params();
  let start = 0;
  const length = body.length;
  while (start <= length) {
    let end = body.indexOf('&', start);
    if (end === -1) end = length;
    if (end > start) {
      const eq = body.indexOf('=', start);
      let name: string;
      let value: string;
      if (eq === -1 || eq > end) {
        name = decodeField(body.slice(start, end));
        value = '';
      } else {
        name = decodeField(body.slice(start, eq));
        value = decodeField(body.slice(eq + 1, end));
      }
      const previous = params[name];
      if (previous === undefined) params[name] = value;
      else if (typeof previous === 'string') params[name] = [previous, value];
      else previous.push(value);
    }
    start = end + 1;
  }
  return params;
}

/** The characters encodeURIComponent never escapes. */
const UNRESERVED = /^[A-Za-z0-9_.!~*'()-]*$/;

/** Percent-encodes like Twilio's form bodies: UTF-8, spaces as '+'. */
export function encodeFormComponent(text: string): string {
  // Most names and values (SIDs, numbers, statuses) are what encodeURIComponent leaves as they are.
  if (UNRESERVED.test(text)) return text;
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    // A lone surrogate (a HAR file's "\ud800"): encoded as U+FFFD, the bytes Buffer.from gives it
    // when the SDK hashes the parameters, instead of a URIError.
    encoded = encodeURIComponent(
      text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
    );
  }
  return encoded.indexOf('%20') < 0 ? encoded : encoded.replace(/%20/g, '+');
}

/** Encodes parameters as a form body, in the order given; arrays repeat the name. */
export function encodeForm(params: FormInput): string {
  const parts: string[] = [];
  if (Array.isArray(params)) {
    for (const [name, value] of params as ReadonlyArray<readonly [string, string]>) parts.push(encodePair(name, value));
  } else {
    const record = params as FormParams;
    for (const name of Object.keys(record)) {
      const value = record[name]!;
      if (typeof value === 'string') parts.push(encodePair(name, value));
      else for (const v of value) parts.push(encodePair(name, v));
    }
  }
  return parts.join('&');
}

/**
 * The last encoding of each parameter name: the simulator and replay send the same parameters
 * (AccountSid, From, To, the geographic fields…) with the same values request after request.
 */
const lastPairs = new Map<string, { value: string; pair: string }>();

function encodePair(name: string, value: string): string {
  const last = lastPairs.get(name);
  if (last !== undefined && last.value === value) return last.pair;
  const pair = `${encodeFormComponent(name)}=${encodeFormComponent(value)}`;
  if (last !== undefined) {
    last.value = value;
    last.pair = pair;
  } else {
    if (lastPairs.size >= 1024) lastPairs.clear();
    lastPairs.set(name, { value, pair });
  }
  return pair;
}

/** Turns ordered pairs into FormParams (repeated names become arrays, in order). */
export function pairsToParams(pairs: ReadonlyArray<readonly [string, string]>): FormParams {
  const params: FormParams = Object.create(null) as FormParams;
  for (const [name, value] of pairs) {
    const previous = params[name];
    if (previous === undefined) params[name] = value;
    else if (typeof previous === 'string') params[name] = [previous, value];
    else previous.push(value);
  }
  return params;
}

/** The first value of a parameter (or undefined): for reading fields whatever their repetition. */
export function firstParam(params: FormParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}
