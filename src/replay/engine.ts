/**
 * The replay engine: prepares each selected request (signing per mode), sends it through one
 * keep-alive pool with the given concurrency and rate, checks the answer (TwiML where Twilio
 * expects it) and compares it with the captured one. Results come back in capture order.
 */
import { randomUUID } from 'node:crypto';
import { bodyBytes } from '../capture/index.js';
import type { TwimlCheck } from '../webhooks/twiml.js';
import { memoTwimlCheck } from '../webhooks/twiml-memo.js';
import { compareWithCapture, isAnswerOk, type Comparison } from '../send/compare.js';
import { createSender, UNREACHABLE_CODES, type Answer, type SendFailure, type Sender } from '../send/http.js';
import { Feed, runOrdered } from './pool.js';
import { createPreparer, type PreparedRequest, type PrepareOptions } from './prepare.js';
import type { Selected } from './select.js';

export interface ReplayOptions extends Omit<PrepareOptions, 'newIdempotencyToken'> {
  /** New I-Twilio-Idempotency-Token values instead of the captured ones. */
  newIdempotency?: boolean;
  concurrency: number;
  ratePerSecond?: number;
  timeoutMs?: number;
  /** A different status or body from the captured answer is a failure too. */
  failOnDiff?: boolean;
  signal?: AbortSignal;
  /** Send through this sender instead of a new one (tests, benchmarks); not closed here. */
  sender?: Sender;
}

export interface ReplayResult {
  index: number;
  selected: Selected;
  request: PreparedRequest;
  answer?: Answer;
  failure?: SendFailure;
  /** Shared by the results with the same answer, and frozen. */
  twiml?: TwimlCheck;
  comparison: Comparison;
  ok: boolean;
}

export interface ReplaySummary {
  /** Requests selected (read so far, when the replay stopped before the reader finished). */
  total: number;
  sent: number;
  ok: number;
  failed: number;
  /** Answers whose status differs from the captured response's. */
  statusDiffers: number;
  /** Answers whose body differs from the captured response's. */
  bodyDiffers: number;
  /** Set when the replay stopped early because nothing answered at the target. */
  unreachable?: SendFailure;
  elapsedMs: number;
}

/** Connection failures that mean nobody is there: the rest would fail the same way. */
const UNREACHABLE = UNREACHABLE_CODES;

/** Replays a list, or a feed that the capture reader is still filling (sending starts at once). */
export async function replay(
  selected: readonly Selected[] | Feed<Selected>,
  options: ReplayOptions,
  onResult: (result: ReplayResult) => void,
): Promise<ReplaySummary> {
  const started = performance.now();
  const sender =
    options.sender ?? (await createSender({ connections: options.concurrency, timeoutMs: options.timeoutMs }));
  const prepareOptions: PrepareOptions = {
    to: options.to,
    mode: options.mode,
    signFor: options.signFor,
    authToken: options.authToken,
    newIdempotencyToken: options.newIdempotency ? randomUUID : undefined,
  };
  const prepare = createPreparer(prepareOptions);
  // The app answers most requests with the same few documents: each is parsed once.
  const twimlCheck = memoTwimlCheck();
  // The captured answers repeat too: each distinct body is turned into bytes once.
  // The last one is compared first: usually the same text, and comparing is cheaper than hashing.
  const capturedBodies = new Map<string, Buffer>();
  let lastKey: string | undefined;
  let lastBytes: Buffer | undefined;
  const capturedBytes = (response: NonNullable<Selected['record']['response']>): Buffer => {
    if (response.bodyBase64 === undefined && response.body === lastKey && lastBytes) return lastBytes;
    const key = response.bodyBase64 !== undefined ? `b${response.bodyBase64}` : `t${response.body ?? ''}`;
    if (key.length > 8192) return bodyBytes(response);
    let bytes = capturedBodies.get(key);
    if (bytes === undefined) {
      bytes = bodyBytes(response);
      if (capturedBodies.size >= 256) capturedBodies.clear();
      capturedBodies.set(key, bytes);
    }
    if (response.bodyBase64 === undefined && typeof response.body === 'string') {
      lastKey = response.body;
      lastBytes = bytes;
    }
    return bytes;
  };
  const summary: ReplaySummary = {
    total: 0,
    sent: 0,
    ok: 0,
    failed: 0,
    statusDiffers: 0,
    bodyDiffers: 0,
    elapsedMs: 0,
  };
  try {
    await runOrdered(
      selected,
      { concurrency: options.concurrency, ratePerSecond: options.ratePerSecond, signal: options.signal },
      async (item, index): Promise<ReplayResult> => {
        const request = prepare(item.record, item.params);
        const sent = await sender.send(request, options.signal);
        const captured = item.record.response;
        // A capture stores an empty body as no body field at all.
        const capturedAnswer = captured ? { status: captured.status, body: capturedBytes(captured) } : undefined;
        if (sent.failure) {
          return {
            index,
            selected: item,
            request,
            failure: sent.failure,
            comparison: compareWithCapture(undefined, capturedAnswer),
            ok: false,
          };
        }
        const answer = sent.answer;
        const twiml = item.expectsTwiml
          ? twimlCheck.shared({
              status: answer.status,
              contentType: answer.contentType,
              body: answer.body,
              channel: item.expectsTwiml,
            })
          : undefined;
        const comparison = compareWithCapture(answer, capturedAnswer);
        const differs = comparison.statusSame === false || comparison.bodySame === false;
        const ok = isAnswerOk(answer.status, twiml) && !(options.failOnDiff && differs);
        return { index, selected: item, request, answer, twiml, comparison, ok };
      },
      (result) => {
        summary.sent++;
        if (result.ok) summary.ok++;
        else summary.failed++;
        if (result.comparison.statusSame === false && result.answer) summary.statusDiffers++;
        if (result.comparison.bodySame === false && result.answer) summary.bodyDiffers++;
        onResult(result);
        if (result.failure && UNREACHABLE.has(result.failure.code) && summary.ok === 0) {
          summary.unreachable = result.failure;
          return true;
        }
        return false;
      },
    );
  } finally {
    if (!options.sender) await sender.close();
  }
  summary.total = selected.length;
  summary.elapsedMs = performance.now() - started;
  return summary;
}
