/**
 * Checks an app's answer to a webhook that expects TwiML the way Twilio reads it, and names the
 * error Twilio would log for it (https://www.twilio.com/docs/api/errors/NNNNN). Pure and
 * dependency-free: the live view runs it on every answer, `trigger` on the one it gets.
 */

export interface TwimlAnswer {
  /** HTTP status the app answered with. */
  status: number;
  /** The Content-Type header, if any. */
  contentType?: string | null;
  /** The response body (UTF-8 bytes or text). */
  body: string | Uint8Array;
  /** Which TwiML the webhook expects: voice verbs, messaging verbs, or either (the default). */
  channel?: 'voice' | 'messaging';
}

export interface TwilioErrorRef {
  code: number;
  message: string;
}

export interface TwimlCheck {
  /** True when Twilio would run the answer without logging an error or warning. */
  ok: boolean;
  /** One line each, most important first. */
  problems: string[];
  /** The error (or warning) Twilio would log for the first problem. */
  twilioError?: TwilioErrorRef;
  /** The verbs under <Response>, in order, when the document parsed. */
  verbs?: string[];
}

export const TWILIO_ERRORS = {
  11200: 'HTTP retrieval failure',
  11750: 'TwiML response body too large',
  12100: 'Document parse failure',
  12200: 'Schema validation warning',
  12300: 'Invalid Content-Type',
} as const;

export type TwilioErrorCode = keyof typeof TWILIO_ERRORS;

export function twilioErrorRef(code: TwilioErrorCode): TwilioErrorRef {
  return { code, message: TWILIO_ERRORS[code] };
}

export function twilioErrorUrl(code: number): string {
  return `https://www.twilio.com/docs/api/errors/${code}`;
}

/** Twilio refuses TwiML documents larger than 64 kB. */
export const MAX_TWIML_BYTES = 64 * 1024;

const VOICE_VERBS = new Set([
  'Say', 'Play', 'Gather', 'Dial', 'Record', 'Redirect', 'Hangup', 'Pause', 'Reject', 'Enqueue',
  'Leave', 'Connect', 'Refer', 'Pay', 'Start', 'Stop', 'Echo', 'Sms',
]);
const MESSAGING_VERBS = new Set(['Message', 'Redirect']);
const ALL_VERBS = new Set([...VOICE_VERBS, ...MESSAGING_VERBS]);

/** Elements allowed inside each verb or noun; anything else nested is a schema warning. */
const CHILDREN: Record<string, ReadonlySet<string>> = {
  Say: new Set(['break', 'emphasis', 'lang', 'p', 'phoneme', 'prosody', 's', 'say-as', 'sub', 'w', 'amazon:effect', 'amazon:domain']),
  Gather: new Set(['Say', 'Play', 'Pause']),
  Dial: new Set(['Number', 'Client', 'Sip', 'Conference', 'Queue', 'Sim', 'Application', 'WhatsApp']),
  Client: new Set(['Identity', 'Parameter']),
  Application: new Set(['ApplicationSid', 'Parameter']),
  Connect: new Set(['Stream', 'Room', 'Conversation', 'VirtualAgent', 'Autopilot', 'ConversationRelay', 'Assistant', 'AiSession']),
  Start: new Set(['Stream', 'Siprec', 'Transcription', 'Recording', 'ConversationRelay']),
  Stop: new Set(['Stream', 'Siprec', 'Transcription', 'Recording']),
  Stream: new Set(['Parameter']),
  Siprec: new Set(['Parameter']),
  Transcription: new Set(['Config', 'Parameter']),
  ConversationRelay: new Set(['Language', 'Parameter']),
  VirtualAgent: new Set(['Config', 'Parameter']),
  Assistant: new Set(['Language', 'Parameter']),
  Refer: new Set(['Sip']),
  Pay: new Set(['Prompt', 'Parameter']),
  Prompt: new Set(['Say', 'Play', 'Pause']),
  Enqueue: new Set(['Task']),
  Message: new Set(['Body', 'Media']),
};

export function checkTwimlAnswer(answer: TwimlAnswer): TwimlCheck {
  const { status } = answer;
  // Decoded in place (Buffer.from(uint8array) would copy the bytes first).
  const text = typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength).toString('utf8');
  const size = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.byteLength;
  const mime = (answer.contentType ?? '').split(';')[0]!.trim().toLowerCase();

  if (status >= 300 && status < 400) return { ok: true, problems: [] }; // Twilio follows redirects.
  if (status < 200 || status >= 300) {
    return fail(11200, [`the app answered ${status}: Twilio treats any non-2xx answer as a failed request`]);
  }

  const empty = text.trim() === '';
  // An empty answer is how an app says "no reply" to an incoming message; Twilio accepts 204 for it.
  if (empty && status === 204 && answer.channel !== 'voice') return { ok: true, problems: [] };

  if (answer.channel === 'voice' && mime.startsWith('audio/')) return { ok: true, problems: [] };

  if (!isXmlType(mime)) {
    const what = describeBody(text, mime);
    const ctLabel = mime ? `Content-Type ${mime}` : 'no Content-Type';
    const problems = [`${ctLabel} ${what}: answer TwiML with Content-Type text/xml`];
    if (!empty) {
      const parsed = parseXml(text);
      if (parsed.ok && parsed.root.name !== 'Response') problems.push(`the root element is <${parsed.root.name}>, not <Response>`);
    }
    return fail(12300, problems);
  }

  if (empty) return fail(12100, ['the body is empty: answer at least <Response/>']);
  if (size > MAX_TWIML_BYTES) return fail(11750, [`the TwiML is ${size} bytes; Twilio stops at ${MAX_TWIML_BYTES}`]);

  const parsed = parseXml(text);
  if (!parsed.ok) return fail(12100, [`not well-formed XML: ${parsed.error}`]);
  const root = parsed.root;
  if (root.name !== 'Response') return fail(12100, [`the root element is <${root.name}>, not <Response>`]);

  const verbs = root.children.map((child) => child.name);
  const problems = schemaProblems(root, answer.channel);
  if (problems.length) return { ...fail(12200, problems), verbs };
  return { ok: true, problems: [], verbs };
}

function fail(code: TwilioErrorCode, problems: string[]): TwimlCheck {
  return { ok: false, problems, twilioError: twilioErrorRef(code) };
}

function isXmlType(mime: string): boolean {
  return mime === 'text/xml' || mime === 'application/xml';
}

function describeBody(text: string, mime: string): string {
  const start = text.trimStart().slice(0, 200).toLowerCase();
  if (!start) return 'and an empty body';
  if (mime === 'application/json' || start.startsWith('{') || start.startsWith('[')) return 'with a JSON body';
  if (mime === 'text/html' && start.startsWith('<response')) return 'with a TwiML body';
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || /<(head|body|div|p|h1)[\s>]/.test(start)) {
    return 'with an HTML body (an error page?)';
  }
  if (start.startsWith('<?xml') || start.startsWith('<')) return 'with an XML body';
  return 'with a text body';
}

function schemaProblems(root: XmlElement, channel: TwimlAnswer['channel']): string[] {
  const problems: string[] = [];
  const allowed = channel === 'voice' ? VOICE_VERBS : channel === 'messaging' ? MESSAGING_VERBS : ALL_VERBS;
  for (const verb of root.children) {
    if (!allowed.has(verb.name)) {
      const known = [...ALL_VERBS].find((v) => v.toLowerCase() === verb.name.toLowerCase());
      if (known && known !== verb.name) problems.push(`unknown verb <${verb.name}>: verbs are case-sensitive, write <${known}>`);
      else if (known) problems.push(`<${verb.name}> is not a ${channel} verb`);
      else problems.push(`unknown verb <${verb.name}>`);
      continue;
    }
    nestedProblems(verb, problems);
  }
  return problems;
}

function nestedProblems(parent: XmlElement, problems: string[]): void {
  const allowed = CHILDREN[parent.name];
  for (const child of parent.children) {
    if (!allowed?.has(child.name)) {
      problems.push(`<${child.name}> is not allowed inside <${parent.name}>`);
      continue;
    }
    if (parent.name !== 'Say') nestedProblems(child, problems);
  }
}

// ---- A small XML well-formedness parser (elements, attributes, text, comments, CDATA, PIs) ----

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export type XmlParse = { ok: true; root: XmlElement } | { ok: false; error: string };

// Character classes by code (the parser runs on every answer the proxy sees: no regex per char).
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c >= 0xc0;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 0xb7;
const isSpace = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parses a whole document; the error names the line and column of the first fault. */
export function parseXml(source: string): XmlParse {
  let pos = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const where = (at: number) => {
    const before = source.slice(0, at);
    const line = before.split('\n').length;
    return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
  };
  const error = (message: string, at = pos): XmlParse => ({ ok: false, error: `${message} at ${where(at)}` });

  const readName = (): string | undefined => {
    if (pos >= source.length || !isNameStart(source.charCodeAt(pos))) return undefined;
    const start = pos;
    pos++;
    while (pos < source.length && isNameChar(source.charCodeAt(pos))) pos++;
    return source.slice(start, pos);
  };
  const skipSpace = () => {
    while (pos < source.length && isSpace(source.charCodeAt(pos))) pos++;
  };
  /** Checks entity and character references in text or an attribute value; returns the decoded text or an error. */
  const decode = (raw: string, offset: number): string | { error: string; at: number } => {
    if (raw.indexOf('&') < 0 && raw.indexOf('<') < 0) return raw;
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const ch = raw[i]!;
      if (ch === '&') {
        const end = raw.indexOf(';', i);
        const ref = end < 0 ? '' : raw.slice(i + 1, end);
        let value: string | undefined;
        if (/^#[0-9]+$/.test(ref)) value = safeCodePoint(parseInt(ref.slice(1), 10));
        else if (/^#x[0-9a-fA-F]+$/.test(ref)) value = safeCodePoint(parseInt(ref.slice(2), 16));
        else value = PREDEFINED[ref];
        if (value === undefined) {
          return { error: end < 0 || !ref ? 'unescaped "&" (write &amp;)' : `unknown entity &${ref};`, at: offset + i };
        }
        out += value;
        i = end + 1;
        continue;
      }
      if (ch === '<') return { error: 'unescaped "<" (write &lt;)', at: offset + i };
      out += ch;
      i++;
    }
    return out;
  };

  if (source.startsWith('<?xml', pos) && /\s/.test(source[pos + 5] ?? '')) {
    const end = source.indexOf('?>', pos);
    if (end < 0) return error('unterminated XML declaration');
    pos = end + 2;
  } else {
    const decl = source.indexOf('<?xml');
    if (decl > pos && /\s/.test(source[decl + 5] ?? '') && source.slice(pos, decl).trim() === '') {
      return error('text before the XML declaration (it must be the very first bytes)', pos);
    }
  }

  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    const textEnd = lt < 0 ? source.length : lt;
    if (textEnd > pos) {
      const raw = source.slice(pos, textEnd);
      if (stack.length === 0) {
        if (raw.trim()) return error(root ? 'text after the root element' : 'text before the root element', pos + raw.search(/\S/));
      } else {
        const decoded = decode(raw, pos);
        if (typeof decoded !== 'string') return error(decoded.error, decoded.at);
        stack[stack.length - 1]!.text += decoded;
      }
      pos = textEnd;
    }
    if (pos >= source.length) break;
    const tagStart = pos;
    if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos + 4);
      if (end < 0) return error('unterminated comment');
      if (source.slice(pos + 4, end).includes('--')) return error('"--" inside a comment');
      pos = end + 3;
      continue;
    }
    if (source.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) return error('CDATA outside the root element');
      const end = source.indexOf(']]>', pos);
      if (end < 0) return error('unterminated CDATA section');
      stack[stack.length - 1]!.text += source.slice(pos + 9, end);
      pos = end + 3;
      continue;
    }
    if (source.startsWith('<!DOCTYPE', pos)) {
      if (root || stack.length) return error('DOCTYPE after the root element started');
      const end = source.indexOf('>', pos);
      if (end < 0) return error('unterminated DOCTYPE');
      // Only this declaration is searched for '[': scanning the rest of the answer for each of
      // many DOCTYPEs would be quadratic in a hostile answer.
      const bracket = source.indexOf('[', pos);
      if (bracket >= 0 && bracket < end) return error('internal DTD subsets are not supported by TwiML');
      pos = end + 1;
      continue;
    }
    if (source.startsWith('<?', pos)) {
      const end = source.indexOf('?>', pos);
      if (end < 0) return error('unterminated processing instruction');
      if (/^<\?xml\s/i.test(source.slice(pos, pos + 6))) return error('the XML declaration must be the very first bytes');
      pos = end + 2;
      continue;
    }
    if (source.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      if (!name) return error('bad closing tag', tagStart);
      skipSpace();
      if (source[pos] !== '>') return error(`bad closing tag </${name}`, tagStart);
      pos++;
      const open = stack.pop();
      if (!open) return error(`closing tag </${name}> without an opening tag`, tagStart);
      if (open.name !== name) return error(`</${name}> closes <${open.name}> (XML is case-sensitive)`, tagStart);
      continue;
    }
    pos++;
    const name = readName();
    if (!name) return error('"<" that starts no tag (write &lt;)', tagStart);
    if (stack.length === 0 && root) return error(`a second root element <${name}>`, tagStart);
    // No prototype: an attribute named __proto__ is an attribute like any other.
    const element: XmlElement = { name, attributes: Object.create(null) as Record<string, string>, children: [], text: '' };
    for (;;) {
      const before = pos;
      skipSpace();
      if (pos >= source.length) return error(`unterminated tag <${name}`, tagStart);
      if (source.startsWith('/>', pos)) {
        pos += 2;
        attach(element, true);
        break;
      }
      if (source[pos] === '>') {
        pos++;
        attach(element, false);
        break;
      }
      if (pos === before) return error(`missing space between attributes in <${name}>`);
      const attrStart = pos;
      const attr = readName();
      if (!attr) return error(`bad character ${JSON.stringify(source[pos])} in <${name}>`);
      skipSpace();
      if (source[pos] !== '=') return error(`attribute ${attr} of <${name}> has no value`, attrStart);
      pos++;
      skipSpace();
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") return error(`the value of ${attr} in <${name}> is not quoted`, attrStart);
      const end = source.indexOf(quote, pos + 1);
      if (end < 0) return error(`unterminated value of ${attr} in <${name}>`, attrStart);
      const decoded = decode(source.slice(pos + 1, end), pos + 1);
      if (typeof decoded !== 'string') return error(decoded.error, decoded.at);
      if (Object.hasOwn(element.attributes, attr)) return error(`attribute ${attr} repeated in <${name}>`, attrStart);
      element.attributes[attr] = decoded;
      pos = end + 1;
    }
  }
  if (stack.length) return error(`<${stack[stack.length - 1]!.name}> is never closed`, source.length);
  if (!root) return error('no root element', source.length);
  return { ok: true, root };

  function attach(element: XmlElement, selfClosing: boolean): void {
    if (stack.length) stack[stack.length - 1]!.children.push(element);
    else root = element;
    if (!selfClosing) stack.push(element);
  }
}

function safeCodePoint(code: number): string | undefined {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return String.fromCodePoint(code);
}
