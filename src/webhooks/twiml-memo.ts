/**
 * checkTwimlAnswer for hot paths (every request through `dev`, every answer of a `replay`): an app
 * answers most webhooks with the same few documents, and parsing one costs more than the rest of
 * what dev does with a request. The verdict depends only on the status, the Content-Type, the
 * channel and the body, so the answers seen last are remembered by exactly those (bodies up to
 * 8 KiB; larger ones are checked each time). Each caller gets its own copy of the result, or with
 * shared() the remembered one, frozen.
 */
import {
  checkTwimlAnswer,
  inspectTwimlAnswer,
  type TwimlAnswer,
  type TwimlCheck,
  type TwimlInspection,
} from './twiml.js';

const MAX_BODY = 8 * 1024;
const MAX_ENTRIES = 256;

export interface TwimlChecker {
  check(answer: TwimlAnswer): TwimlCheck;
  /**
   * The same verdict, shared by every caller with the same answer and frozen (a change throws
   * rather than leaking into other results): for callers that only read it, such as replay, which
   * serializes each distinct verdict once.
   */
  shared(answer: TwimlAnswer): TwimlCheck;
}

export function memoTwimlCheck(): TwimlChecker {
  const seen = new Map<string, TwimlCheck>();
  const shared = (answer: TwimlAnswer): TwimlCheck => {
    const key = answerKey(answer);
    if (key === undefined) return deepFreeze(checkTwimlAnswer(answer));
    let check = seen.get(key);
    if (check === undefined) {
      check = deepFreeze(checkTwimlAnswer(answer));
      if (seen.size >= MAX_ENTRIES) seen.clear();
      seen.set(key, check);
    }
    return check;
  };
  return { shared, check: (answer) => copy(shared(answer)) };
}

/**
 * inspectTwimlAnswer for the simulator, which runs the same few documents call after call: each
 * distinct answer is parsed and checked once, and every caller shares the result, frozen (the
 * parsed verbs are read, never changed: a change would throw rather than leak into other calls).
 */
export function memoTwimlInspection(): (answer: TwimlAnswer) => TwimlInspection {
  // By status, type, channel and size, then the bytes compared: no key as long as the body to
  // decode, build and hash for every answer.
  const seen = new Map<string, Array<{ body: string | Buffer; inspection: TwimlInspection }>>();
  let count = 0;
  return (answer) => {
    const body = answer.body;
    const isText = typeof body === 'string';
    const size = isText ? body.length : body.byteLength;
    if (size > MAX_BODY) return inspectTwimlAnswer(answer);
    const head = `${answer.status}\n${answer.contentType ?? ''}\n${answer.channel ?? ''}\n${isText ? 's' : 'b'}${size}`;
    let bucket = seen.get(head);
    if (bucket !== undefined) {
      for (const entry of bucket) {
        if (isText ? entry.body === body : (entry.body as Buffer).equals(body)) return entry.inspection;
      }
    }
    const inspection = deepFreeze(inspectTwimlAnswer(answer));
    if (count >= MAX_ENTRIES) {
      seen.clear();
      count = 0;
      bucket = undefined;
    }
    if (bucket === undefined) seen.set(head, (bucket = []));
    // A copy: the caller's buffer may be reused for other bytes.
    bucket.push({ body: isText ? body : Buffer.from(body), inspection });
    count++;
    return inspection;
  };
}

/** What a verdict depends on, as one string; undefined for bodies too large to remember. */
function answerKey(answer: TwimlAnswer): string | undefined {
  const size = typeof answer.body === 'string' ? answer.body.length : answer.body.byteLength;
  if (size > MAX_BODY) return undefined;
  const text =
    typeof answer.body === 'string'
      ? answer.body
      : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength).toString('latin1');
  // latin1 keeps every byte as one character: two bodies map to one key only when equal.
  return `${answer.status}\n${answer.contentType ?? ''}\n${answer.channel ?? ''}\n${typeof answer.body === 'string' ? 's' : 'b'}${text}`;
}

function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (item === null || typeof item !== 'object' || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const key of Object.keys(item)) stack.push((item as Record<string, unknown>)[key]);
  }
  return value;
}

function copy(check: TwimlCheck): TwimlCheck {
  const out: TwimlCheck = { ...check, problems: check.problems.slice() };
  if (check.verbs) out.verbs = check.verbs.slice();
  if (check.twilioError) out.twilioError = { ...check.twilioError };
  return out;
}
