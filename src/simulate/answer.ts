import type { XmlElement } from '../webhooks/twiml.js';
import { memoTwimlInspection } from '../webhooks/twiml-memo.js';

/** The verbs Twilio runs for one answer of the app, or the error it logs instead. */
export type AnswerDocument = { verbs: XmlElement[]; url: string } | { error: { code: number; message: string } };

export function element(name: string, text = '', attributes: Record<string, string> = {}): XmlElement {
  return { name, attributes, children: [], text, content: text ? [text] : [] };
}

/** One memo for every simulation in the process (test --jobs runs the same documents many times). */
const inspectTwimlAnswer = memoTwimlInspection();

/**
 * Reads an answer as Twilio does, by its content type: TwiML runs as written; on a call audio is
 * played and plain text read aloud, then the call hangs up; on a message plain text is the reply.
 */
export function answerDocument(
  answer: { status: number; contentType?: string; body: string | Uint8Array; url: string; asksForCredentials?: true },
  channel: 'voice' | 'messaging',
): AnswerDocument {
  const inspection = inspectTwimlAnswer({
    status: answer.status,
    contentType: answer.contentType,
    body: answer.body,
    channel,
  });
  if (!inspection.check.ok) {
    const error = inspection.check.twilioError ?? { code: 12100, message: 'Document parse failure' };
    let message = inspection.check.problems[0] ?? error.message;
    if (answer.asksForCredentials)
      message +=
        '; it asks for HTTP authentication: give the user and password in the URL, as user:password@ before the host';
    return { error: { code: error.code, message } };
  }
  if (inspection.kind === 'audio') return { verbs: [element('Play', answer.url), element('Hangup')], url: answer.url };
  if (inspection.kind === 'text') {
    const text = inspection.text ?? '';
    if (channel === 'voice') return { verbs: [element('Say', text), element('Hangup')], url: answer.url };
    return { verbs: [{ name: 'Message', attributes: {}, children: [], text, content: [text] }], url: answer.url };
  }
  return { verbs: inspection.root?.children ?? [], url: answer.url };
}
