/**
 * One request as the inspector's detail view shows it: its parameters with what they mean, its
 * headers (signature masked), the signature verdict with verify's explanation, the answer with
 * the TwiML check's findings (each with Twilio's error page), and what a caller would hear.
 */
import { bodyText, header, type CaptureHeaders } from '../capture/format.js';
import { parseForm, type FormParams } from '../webhooks/form.js';
import { twilioErrorUrl } from '../webhooks/twiml.js';
import { paramMeaning } from './params.js';
import { maskHeader } from './replay.js';
import type { InspectorEntry, RequestSummary } from './store.js';

/**
 * The simulator's reading of an answer (describeAnswer, src/simulate/describe.ts): the events a
 * caller or texter meets. The server loads it on the first detail view, so `dev` starts without it.
 */
export type DescribeAnswer = (
  body: string,
  contentType: string | undefined,
  channel: 'voice' | 'messaging',
  url?: string,
) => unknown;

export interface ParamRow {
  name: string;
  value: string;
  meaning?: string;
  /** Where it came from: the form body or the URL's query string. */
  from: 'body' | 'query';
}

export interface RequestDetail {
  summary: RequestSummary;
  url: string;
  params: ParamRow[];
  /** The body is JSON (Event Streams) or not a form: shown raw only. */
  rawOnly: boolean;
  headers: [string, string][];
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  signature: { status: string; reason: string; header?: string };
  answer: {
    status: number;
    ms: number | null;
    contentType?: string;
    headers: [string, string][];
    body: string;
    bodyEncoding: 'utf8' | 'base64';
    isXml: boolean;
  } | null;
  twiml?: {
    ok: boolean;
    problems: string[];
    verbs?: string[];
    error?: { code: number; message: string; url: string };
  };
  /** What a caller would hear or read; null when the simulator is not there or does not apply. */
  hear: { available: boolean; channel?: 'voice' | 'messaging'; reading?: unknown; note?: string };
}

function pairs(headers: CaptureHeaders | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, maskHeader(name, v)]);
  }
  return out;
}

function rows(params: FormParams, from: 'body' | 'query'): ParamRow[] {
  const out: ParamRow[] = [];
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const meaning = paramMeaning(name);
      out.push({ name, value: v, from, ...(meaning ? { meaning } : {}) });
    }
  }
  return out;
}

export function analyze(entry: InspectorEntry, options: { describeAnswer?: DescribeAnswer } = {}): RequestDetail {
  const { record, summary } = entry;
  const text = record.bodyBase64 !== undefined ? record.bodyBase64 : (record.body ?? '');
  const contentType = header(record.headers, 'content-type') ?? '';
  const json = /json/i.test(contentType) || /^\s*[[{]/.test(record.body ?? '');
  const params: ParamRow[] = [];
  if (!json && record.bodyBase64 === undefined)
    params.push(...rows(entry.params ?? parseForm(record.body ?? ''), 'body'));
  const q = record.url.indexOf('?');
  if (q !== -1) params.push(...rows(parseForm(record.url.slice(q + 1).split('#')[0]!), 'query'));

  const signatureHeader = header(record.headers, 'x-twilio-signature');
  const response = record.response;
  const answerType = response ? header(response.headers, 'content-type') : undefined;
  const answerBody = response ? (response.bodyBase64 !== undefined ? response.bodyBase64 : (response.body ?? '')) : '';
  const detail: RequestDetail = {
    summary,
    url: record.url,
    params,
    rawOnly: json || record.bodyBase64 !== undefined,
    headers: pairs(record.headers),
    body: text,
    bodyEncoding: record.bodyBase64 !== undefined ? 'base64' : 'utf8',
    signature: {
      status: summary.verdict.status,
      reason: summary.verdict.reason,
      ...(signatureHeader ? { header: maskHeader('x-twilio-signature', signatureHeader) } : {}),
    },
    answer: response
      ? {
          status: response.status,
          ms: response.ms === undefined ? null : Math.round(response.ms),
          ...(answerType ? { contentType: answerType } : {}),
          headers: pairs(response.headers),
          body: answerBody,
          bodyEncoding: response.bodyBase64 !== undefined ? 'base64' : 'utf8',
          isXml:
            response.bodyBase64 === undefined &&
            (/xml/i.test(answerType ?? '') || /^\s*<(\?xml|Response)/.test(response.body ?? '')),
        }
      : null,
    hear: { available: false },
  };
  if (entry.twiml) {
    const err = entry.twiml.twilioError;
    detail.twiml = {
      ok: entry.twiml.ok,
      problems: entry.twiml.problems,
      ...(entry.twiml.verbs ? { verbs: entry.twiml.verbs } : {}),
      ...(err ? { error: { code: err.code, message: err.message, url: twilioErrorUrl(err.code) } } : {}),
    };
  }
  if (entry.channel && response) {
    if (response.status < 200 || response.status >= 300) {
      detail.hear = {
        available: false,
        channel: entry.channel,
        note: `the app answered ${response.status}: Twilio reads no TwiML from it`,
      };
    } else {
      try {
        if (!options.describeAnswer) throw new Error('the simulator is not loaded');
        detail.hear = {
          available: true,
          channel: entry.channel,
          reading: options.describeAnswer(bodyText(response), answerType, entry.channel, record.url),
        };
      } catch (err) {
        detail.hear = {
          available: false,
          channel: entry.channel,
          note: `the simulator could not read this answer: ${(err as Error).message}`,
        };
      }
    }
  }
  return detail;
}
