/**
 * Checks an app's answer to a webhook that expects TwiML the way Twilio reads it, and names the
 * error Twilio would log for it (https://www.twilio.com/docs/api/errors/NNNNN). Pure: the live
 * view runs it on every answer, `trigger` on the one it gets, the simulator on each document.
 *
 * Content types follow Twilio's "Your Response" pages: text/xml, application/xml and text/html are
 * TwiML (Express's res.send answers text/html); on a call an audio type is played and text/plain
 * is read aloud, then the call hangs up; on a message text/plain is sent back as the reply.
 * https://www.twilio.com/docs/voice/twiml#twilio-understands-mime-types
 * https://www.twilio.com/docs/messaging/twiml#twilio-understands-mime-types
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

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
  /**
   * What Twilio does with an answer it accepts that is not TwiML (plain text, audio, an empty
   * reply): "Twilio will read this text and hang up".
   */
  effect?: string;
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
  'Say',
  'Play',
  'Gather',
  'Dial',
  'Record',
  'Redirect',
  'Hangup',
  'Pause',
  'Reject',
  'Enqueue',
  'Leave',
  'Connect',
  'Refer',
  'Pay',
  'Start',
  'Stop',
  'Echo',
  'Sms',
]);
const MESSAGING_VERBS = new Set(['Message', 'Redirect']);
const ALL_VERBS = new Set([...VOICE_VERBS, ...MESSAGING_VERBS]);

/** Elements allowed inside each verb or noun; anything else nested is a schema warning. */
const CHILDREN: Record<string, ReadonlySet<string>> = {
  Say: new Set([
    'break',
    'emphasis',
    'lang',
    'p',
    'phoneme',
    'prosody',
    's',
    'say-as',
    'sub',
    'w',
    'amazon:effect',
    'amazon:domain',
  ]),
  Gather: new Set(['Say', 'Play', 'Pause']),
  Dial: new Set(['Number', 'Client', 'Sip', 'Conference', 'Queue', 'Sim', 'Application', 'WhatsApp']),
  Client: new Set(['Identity', 'Parameter']),
  Application: new Set(['ApplicationSid', 'Parameter']),
  Connect: new Set([
    'Stream',
    'Room',
    'Conversation',
    'VirtualAgent',
    'Autopilot',
    'ConversationRelay',
    'Assistant',
    'AiSession',
  ]),
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
  return inspectTwimlAnswer(answer).check;
}

/** What Twilio makes of an answer: the check, and the parsed <Response> when it is TwiML. */
export interface TwimlInspection {
  check: TwimlCheck;
  /** How Twilio reads the body: TwiML, text (read aloud or sent back), audio (played), or nothing. */
  kind: 'twiml' | 'text' | 'audio' | 'none';
  root?: XmlElement;
  /** The body as text (for `text`). */
  text?: string;
}

/** checkTwimlAnswer, keeping the parsed document for the simulator (one parse per answer). */
export function inspectTwimlAnswer(answer: TwimlAnswer): TwimlInspection {
  const { status, channel } = answer;
  // Decoded in place (Buffer.from(uint8array) would copy the bytes first).
  const text =
    typeof answer.body === 'string'
      ? answer.body
      : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength).toString('utf8');
  const size = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.byteLength;
  const mime = (answer.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const none = (check: TwimlCheck): TwimlInspection => ({ check, kind: 'none' });

  if (status >= 300 && status < 400) return none({ ok: true, problems: [] }); // Twilio follows redirects.
  if (status < 200 || status >= 300) {
    return none(fail(11200, [`the app answered ${status}: Twilio treats any non-2xx answer as a failed request`]));
  }

  const empty = text.trim() === '';
  // An empty answer is how an app says "no reply" to an incoming message; Twilio accepts 204 for it.
  if (empty && status === 204 && channel !== 'voice') return none({ ok: true, problems: [], effect: 'no reply' });

  if (mime.startsWith('audio/') && channel !== 'messaging') {
    return {
      check: {
        ok: true,
        problems: [],
        effect: `Twilio will play this audio${channel ? '' : ' on a call'} and hang up`,
      },
      kind: 'audio',
    };
  }
  if (mime === 'text/plain' && !(empty && channel === 'voice')) {
    return {
      check: { ok: true, problems: [], effect: plainTextEffect(text, channel) },
      kind: empty ? 'none' : 'text',
      text,
    };
  }

  if (!isXmlType(mime)) {
    const what = describeBody(text, mime);
    const ctLabel = mime ? `Content-Type ${mime}` : 'no Content-Type';
    const accepted = channel === 'messaging' ? 'text/xml (or text/plain for a plain reply)' : 'text/xml';
    const problems = [`${ctLabel} ${what}: answer TwiML with Content-Type ${accepted}`];
    if (!empty) {
      const parsed = parseXml(text);
      if (parsed.ok && parsed.root.name !== 'Response')
        problems.push(`the root element is <${parsed.root.name}>, not <Response>`);
    }
    return none(fail(12300, problems));
  }

  if (empty) return none(fail(12100, ['the body is empty: answer at least <Response/>']));
  if (size > MAX_TWIML_BYTES)
    return none(fail(11750, [`the TwiML is ${size} bytes; Twilio stops at ${MAX_TWIML_BYTES}`]));

  if (mime === 'text/html' && looksLikeHtmlPage(text)) {
    return none(fail(12100, [`an HTML page, not TwiML: ${JSON.stringify(firstWords(text))}`]));
  }
  const parsed = parseXml(text);
  if (!parsed.ok) return none(fail(12100, [`not well-formed XML: ${parsed.error}`]));
  const root = parsed.root;
  if (root.name !== 'Response') return none(fail(12100, [`the root element is <${root.name}>, not <Response>`]));

  const verbs = root.children.map((child) => child.name);
  const problems = schemaProblems(root, channel);
  if (problems.length) return { check: { ...fail(12200, problems), verbs }, kind: 'twiml', root };
  return { check: { ok: true, problems: [], verbs }, kind: 'twiml', root };
}

function plainTextEffect(text: string, channel: TwimlAnswer['channel']): string {
  const xmlInside = /^\s*(<\?xml|<Response[\s>/])/.test(text)
    ? ', XML tags included: answer TwiML with Content-Type text/xml'
    : '';
  if (channel === 'voice') return `Twilio will read this text${xmlInside ? ' aloud' : ''} and hang up${xmlInside}`;
  if (channel === 'messaging') {
    return text.trim() ? `Twilio will send this text back as the reply${xmlInside}` : 'no reply';
  }
  return `on a call Twilio will read this text and hang up; to a message it sends it back as the reply${xmlInside}`;
}

function looksLikeHtmlPage(text: string): boolean {
  const start = text.trimStart().slice(0, 200).toLowerCase();
  return (
    start.startsWith('<!doctype html') ||
    start.startsWith('<html') ||
    /^<(head|body|div|p|h1|title|pre)[\s>]/.test(start)
  );
}

/** The first words a person would read on an HTML page (its title or heading, usually). */
export function firstWords(html: string, count = 12): string {
  const visible = html
    .slice(0, 4096)
    .replace(/<(script|style)[^]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const words = visible.split(' ').filter(Boolean);
  return words.slice(0, count).join(' ') + (words.length > count ? ' …' : '');
}

function fail(code: TwilioErrorCode, problems: string[]): TwimlCheck {
  return { ok: false, problems, twilioError: twilioErrorRef(code) };
}

function isXmlType(mime: string): boolean {
  return mime === 'text/xml' || mime === 'application/xml' || mime === 'text/html';
}

function describeBody(text: string, mime: string): string {
  const start = text.trimStart().slice(0, 200).toLowerCase();
  if (!start) return 'and an empty body';
  if (mime === 'application/json' || start.startsWith('{') || start.startsWith('[')) return 'with a JSON body';
  if (start.startsWith('<response')) return 'with a TwiML body';
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
      if (known && known !== verb.name)
        problems.push(`unknown verb <${verb.name}>: verbs are case-sensitive, write <${known}>`);
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

// ---- XML: fast-xml-parser's validator (well-formedness, with line and column) and its parser ----

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), entities decoded. */
  text: string;
  /** Text and child elements in document order: what SSML inside <Say> needs. */
  content: Array<string | XmlElement>;
}

export type XmlParse = { ok: true; root: XmlElement } | { ok: false; error: string };

/** TwiML nests a few levels (Response > Gather > Say > SSML); the parser's cost grows with depth. */
export const MAX_XML_DEPTH = 256;

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

type Ordered = Array<Record<string, unknown>>;
let parser: XMLParser | undefined;

function xmlParser(): XMLParser {
  // Names get a '$' in front so that no element or attribute name (__proto__, constructor,
  // hasOwnProperty) is ever a special property name to the parser; entities are decoded here,
  // where an unknown one is an error, as XML says.
  parser ??= new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '$',
    transformTagName: (name) => `$${name}`,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    cdataPropName: '#cdata',
    maxNestedTags: MAX_XML_DEPTH,
    jPath: false,
  });
  return parser;
}

/** Parses a whole document; the error names the line and column of the first fault. */
export function parseXml(input: string): XmlParse {
  const source = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const where = (at: number) => {
    const before = source.slice(0, at);
    const line = before.split('\n').length;
    return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
  };
  const error = (message: string, at: number): XmlParse => ({ ok: false, error: `${message} at ${where(at)}` });

  const doctype = source.indexOf('<!DOCTYPE');
  if (doctype >= 0) {
    const end = source.indexOf('>', doctype);
    const bracket = source.indexOf('[', doctype);
    // An internal subset can declare entities: TwiML has no use for them, and they are a way to
    // make a parser expand a small answer into a huge one.
    if (bracket >= 0 && (end < 0 || bracket < end))
      return error('internal DTD subsets are not supported by TwiML', doctype);
  }

  const valid = XMLValidator.validate(source, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const at = offsetOf(source, line, col);
    return error(describeXmlError(msg, source, at), at);
  }
  if (source.includes('__proto__')) {
    // The validator keeps attribute names in a plain object, where __proto__ is special.
    const tags = /<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g;
    for (let m = tags.exec(source); m; m = tags.exec(source)) {
      if ((m[2]!.match(/(?:^|\s)__proto__\s*=/g) ?? []).length > 1)
        return error(`attribute __proto__ repeated in <${m[1]}>`, m.index);
    }
  }
  let tree: Ordered;
  try {
    tree = xmlParser().parse(source) as Ordered;
  } catch (err) {
    const message = (err as Error).message;
    if (/nested/i.test(message)) return error(`elements nested deeper than ${MAX_XML_DEPTH} levels`, 0);
    return error(message.replace(/\.$/, ''), 0);
  }
  const roots = tree.filter((node) => elementName(node) !== undefined);
  if (!roots.length) return error('no root element', source.length);
  if (roots.length > 1) {
    const second = elementName(roots[1]!)!;
    return error(`a second root element <${second}>`, Math.max(0, source.indexOf(`<${second}`, source.indexOf('>'))));
  }
  const converted = convert(roots[0]!);
  if (typeof converted === 'string') return { ok: false, error: converted };
  return { ok: true, root: converted };
}

function elementName(node: Record<string, unknown>): string | undefined {
  for (const key in node) if (key.charCodeAt(0) === 36 /* $ */) return key;
  return undefined;
}

/** fast-xml-parser's ordered output to XmlElements, without recursion (depth is bounded anyway). */
function convert(rootNode: Record<string, unknown>): XmlElement | string {
  const make = (node: Record<string, unknown>): { element: XmlElement; items: Ordered } | string => {
    const key = elementName(node)!;
    const name = key.replace(/^\$+/, '');
    // No prototype: an attribute named __proto__ is an attribute like any other.
    const attributes = Object.create(null) as Record<string, string>;
    const raw = node[':@'] as Record<string, string> | undefined;
    if (raw) {
      for (const attr of Object.keys(raw)) {
        const value = decodeEntities(String(raw[attr]));
        if (value === undefined) return `${entityError(String(raw[attr]))} in attribute ${attr.slice(1)} of <${name}>`;
        attributes[attr.slice(1)] = value;
      }
    }
    return { element: { name, attributes, children: [], text: '', content: [] }, items: node[key] as Ordered };
  };
  const first = make(rootNode);
  if (typeof first === 'string') return first;
  const stack = [{ ...first, index: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.index >= top.items.length) {
      stack.pop();
      continue;
    }
    const item = top.items[top.index++]!;
    if ('#text' in item) {
      const text = decodeEntities(String(item['#text']));
      if (text === undefined) return `${entityError(String(item['#text']))} in <${top.element.name}>`;
      appendText(top.element, text);
    } else if ('#cdata' in item) {
      const parts = item['#cdata'] as Ordered;
      appendText(top.element, parts.map((p) => String(p['#text'] ?? '')).join(''));
    } else if (elementName(item) !== undefined) {
      const child = make(item);
      if (typeof child === 'string') return child;
      top.element.children.push(child.element);
      top.element.content.push(child.element);
      stack.push({ ...child, index: 0 });
    }
  }
  return first.element;
}

function appendText(element: XmlElement, text: string): void {
  element.text += text;
  const last = element.content.length - 1;
  if (last >= 0 && typeof element.content[last] === 'string') element.content[last] += text;
  else element.content.push(text);
}

/** Decodes entity and character references; undefined when one is not XML's. */
function decodeEntities(raw: string): string | undefined {
  if (raw.indexOf('&') < 0) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) {
      out += raw.slice(i);
      break;
    }
    out += raw.slice(i, amp);
    const end = raw.indexOf(';', amp);
    const ref = end < 0 ? '' : raw.slice(amp + 1, end);
    let value: string | undefined;
    if (/^#[0-9]+$/.test(ref)) value = safeCodePoint(parseInt(ref.slice(1), 10));
    else if (/^#x[0-9a-fA-F]+$/.test(ref)) value = safeCodePoint(parseInt(ref.slice(2), 16));
    else value = Object.hasOwn(PREDEFINED, ref) ? PREDEFINED[ref] : undefined;
    if (value === undefined) return undefined;
    out += value;
    i = end + 1;
  }
  return out;
}

function entityError(raw: string): string {
  const match = /&([^;&\s]*);?/.exec(raw.slice(raw.search(/&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/)));
  const ref = match?.[1];
  if (!match || !match[0].endsWith(';') || !ref) return 'unescaped "&" (write &amp;)';
  return ref.startsWith('#') ? `bad character reference &${ref};` : `unknown entity &${ref};`;
}

function safeCodePoint(code: number): string | undefined {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return String.fromCodePoint(code);
}

function offsetOf(source: string, line: number, col: number | undefined): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const next = source.indexOf('\n', at);
    if (next < 0) break;
    at = next + 1;
  }
  return Math.min(source.length, at + Math.max(0, (col ?? 1) - 1));
}

/** The validator's message in the words twhook uses everywhere else. */
function describeXmlError(msg: string, source: string, at: number): string {
  let m: RegExpExecArray | null;
  if ((m = /^char '(.)' is not expected/.exec(msg))) {
    if (m[1] === '&') return 'unescaped "&" (write &amp;)';
    if (m[1] === '<') return 'unescaped "<" (write &lt;)';
    const firstTag = source.indexOf('<');
    if (firstTag < 0 || at < firstTag) return 'text before the root element';
    return `unexpected ${JSON.stringify(m[1])}`;
  }
  if (
    (m = /^Expected closing tag '([^']*)' \(opened in line \d+, col \d+\) instead of closing tag '([^']*)'/.exec(msg))
  ) {
    const hint = m[1]!.toLowerCase() === m[2]!.toLowerCase() ? ' (XML is case-sensitive)' : '';
    return `</${m[2]}> closes <${m[1]}>${hint}`;
  }
  if ((m = /^Unclosed tag '([^']*)'/.exec(msg))) return `<${m[1]}> is never closed`;
  if ((m = /^Closing tag '([^']*)' has not been opened/.exec(msg)))
    return `closing tag </${m[1]}> without an opening tag`;
  if (/^Start tag expected/.test(msg)) return 'no root element';
  if (/^Extra text at the end/.test(msg)) return 'text after the root element';
  if (/^XML declaration allowed only at the start/.test(msg)) return 'the XML declaration must be the very first bytes';
  if ((m = /^Attribute '([^']*)' is repeated/.exec(msg))) return `attribute ${m[1]} repeated`;
  if ((m = /^Attribute '([^']*)' is without value/.exec(msg))) return `the value of ${m[1]} is missing or not quoted`;
  if ((m = /^boolean attribute '([^']*)' is not allowed/.exec(msg))) return `attribute ${m[1]} has no value`;
  if ((m = /^Attribute '([^']*)' has no space in starting/.exec(msg))) return `missing space before attribute ${m[1]}`;
  return msg.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase());
}

/**
 * The text a voice would read for an element: its text and its children's, in document order,
 * with whitespace collapsed (SSML tags inside <Say> are read as their text).
 */
export function textContent(element: XmlElement): string {
  const parts: string[] = [];
  const stack: Array<string | XmlElement> = [element];
  while (stack.length) {
    const node = stack.pop()!;
    if (typeof node === 'string') parts.push(node);
    else for (let i = node.content.length - 1; i >= 0; i--) stack.push(node.content[i]!);
  }
  return parts.join('').replace(/\s+/g, ' ').trim();
}
