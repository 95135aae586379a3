/** What counts as a good answer, and how an answer compares with the captured one. */
import type { TwimlCheck } from '../webhooks/twiml.js';
import { plural } from '../ui/format.js';
import type { Answer } from './http.js';

/**
 * A good answer: 2xx (or 3xx, which Twilio follows), and valid TwiML where TwiML is expected.
 * Anything else makes Twilio log an error (11200 and the TwiML errors) and may make it retry.
 */
export function isAnswerOk(status: number, twiml?: TwimlCheck): boolean {
  if (twiml) return twiml.ok;
  return status >= 200 && status < 400;
}

const TEXT_TYPE = /^(text\/|application\/(?:[\w.+-]*\+)?(?:xml|json|x-www-form-urlencoded|javascript))/i;

/** The answer's body as text, or a note for binary content (audio the app plays, say). */
export function answerText(answer: Pick<Answer, 'body' | 'contentType' | 'truncated'>): string {
  if (!answer.body.length) return '';
  const type = answer.contentType ?? '';
  if (type && !TEXT_TYPE.test(type)) return `(${plural(answer.body.length, 'byte')} of ${type.split(';')[0]})`;
  const text = answer.body.toString('utf8');
  return answer.truncated ? `${text}… (cut at ${plural(answer.body.length, 'byte')})` : text;
}

export interface Comparison {
  /** The captured status, or null when the capture has no response. */
  capturedStatus: number | null;
  statusSame: boolean | null;
  bodySame: boolean | null;
}

/** Compares an answer with the captured response (byte for byte, for the body). */
export function compareWithCapture(
  answer: Pick<Answer, 'status' | 'body'> | undefined,
  captured: { status: number; body?: Buffer | string } | undefined,
): Comparison {
  if (!captured) return { capturedStatus: null, statusSame: null, bodySame: null };
  // No answer (the connection failed): nothing to compare.
  if (!answer) return { capturedStatus: captured.status, statusSame: null, bodySame: null };
  const capturedBody =
    captured.body === undefined
      ? undefined
      : typeof captured.body === 'string'
        ? Buffer.from(captured.body)
        : captured.body;
  return {
    capturedStatus: captured.status,
    statusSame: answer.status === captured.status,
    bodySame: capturedBody === undefined ? null : capturedBody.equals(answer.body),
  };
}
