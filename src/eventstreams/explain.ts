/**
 * Twilio's refusals as sentences. Event Streams answers a limit or an inactive sink with a bare
 * 400; rather than trust the wording or code of that answer, twhook looks at the account (how many
 * sinks, the sink's status, the type catalogue) and says what is wrong and what to run next.
 * The happy path pays nothing: these run only after a call failed.
 */
import { RemoteError } from '../errors.js';
import type { EventsApi, EventTypeSelection, Sink } from '../twilio/eventstreams.js';
import { formatSelection, nearestTypes } from './selection.js';

/** Twilio's per-account limits for Event Streams. */
export const SINK_LIMIT = 100;
export const SUBSCRIPTION_LIMIT = 100;

const LIMIT_WORDS = /\blimit\b|maximum|too many|exceed/i;

/**
 * A 4xx other than authentication and rate limiting: the request itself was refused. (A 429's
 * "Too Many Requests" is not the account's limit of sinks or subscriptions.)
 */
function refused(err: unknown): err is RemoteError {
  if (!(err instanceof RemoteError)) return false;
  const status = err.info.status ?? 0;
  return status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429;
}

async function attempt<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

export function explained(err: RemoteError, message: string): RemoteError {
  return new RemoteError(message, err.info, { cause: err });
}

export async function explainSinkCreateFailure(err: unknown, events: EventsApi): Promise<unknown> {
  if (!refused(err)) return err;
  const count = (await attempt(() => events.sinks.list()))?.length;
  if (LIMIT_WORDS.test(err.message) || (count !== undefined && count >= SINK_LIMIT)) {
    return explained(
      err,
      `Twilio refused a new sink: the account already has ${count === undefined ? 'its maximum of sinks' : count === 1 ? '1 sink' : `${count} sinks`} and Event Streams allows ${SINK_LIMIT} per account. ` +
        'Delete unused ones (`twhook sinks list`, then `twhook sinks delete DG…`) and try again',
    );
  }
  return err;
}

/** What to do about a sink that is not active, by type and status. */
export function inactiveSinkMessage(sink: Pick<Sink, 'sid' | 'sinkType' | 'status'>): string {
  const head = `sink ${sink.sid} is ${sink.status}, not active, and Twilio only subscribes active sinks`;
  if (sink.status === 'validating') {
    return `${head}: its test event was sent; confirm it with the test_id it carried: \`twhook sinks validate ${sink.sid} --test-id ID\``;
  }
  if (sink.status === 'failed') {
    return `${head}: its validation failed. Check its configuration (\`twhook sinks show ${sink.sid}\`), then \`twhook sinks test ${sink.sid}\` and \`twhook sinks validate ${sink.sid} --test-id ID\``;
  }
  const where =
    sink.sinkType === 'kinesis'
      ? 'the record it writes to your stream'
      : sink.sinkType === 'segment'
        ? "your Segment source's debugger"
        : 'the request it makes';
  return `${head}: send its test event (\`twhook sinks test ${sink.sid}\`), read the test_id from ${where}, then \`twhook sinks validate ${sink.sid} --test-id ID\``;
}

export async function explainSubscriptionCreateFailure(
  err: unknown,
  events: EventsApi,
  request: { sinkSid: string; types: EventTypeSelection[] },
): Promise<unknown> {
  if (!refused(err)) return err;
  let sink: Sink | undefined;
  try {
    sink = await events.sinks.fetch(request.sinkSid);
  } catch (e) {
    if (e instanceof RemoteError && e.info.status === 404) {
      return explained(err, `sink ${request.sinkSid} does not exist on this account (see \`twhook sinks list\`)`);
    }
  }
  if (sink && sink.status !== 'active') return explained(err, inactiveSinkMessage(sink));
  const subscriptions = await attempt(() => events.subscriptions.list());
  if (LIMIT_WORDS.test(err.message) || (subscriptions && subscriptions.length >= SUBSCRIPTION_LIMIT)) {
    return explained(
      err,
      `Twilio refused a new subscription: the account already has ${!subscriptions ? 'its maximum of subscriptions' : subscriptions.length === 1 ? '1 subscription' : `${subscriptions.length} subscriptions`} and Event Streams allows ${SUBSCRIPTION_LIMIT} per account. ` +
        'Add types to an existing one (`twhook subscriptions add-types DF… TYPE`) or delete unused ones (`twhook subscriptions delete DF…`)',
    );
  }
  const unknown = await unknownTypes(events, request.types);
  if (unknown) return explained(err, unknown);
  return err;
}

/** Failure of adding types to an existing subscription: unknown types get a "did you mean". */
export async function explainAddTypesFailure(
  err: unknown,
  events: EventsApi,
  types: EventTypeSelection[],
): Promise<unknown> {
  if (!refused(err)) return err;
  const unknown = await unknownTypes(events, types);
  return unknown ? explained(err, unknown) : err;
}

async function unknownTypes(events: EventsApi, types: EventTypeSelection[]): Promise<string | undefined> {
  const catalogue = await attempt(() => events.eventTypes.list());
  if (!catalogue) return undefined;
  const known = new Set(catalogue.map((t) => t.type));
  const missing = types.filter((t) => !known.has(t.type));
  if (!missing.length) {
    const discontinued = types.filter((t) => catalogue.find((c) => c.type === t.type)?.status === 'discontinued');
    if (discontinued.length) {
      return `Twilio no longer delivers ${discontinued.map(formatSelection).join(', ')} (discontinued): pick another type (\`twhook event-types list\`)`;
    }
    return undefined;
  }
  const names = [...known];
  const parts = missing.map((t) => {
    const near = nearestTypes(t.type, names);
    return near.length ? `${t.type} (did you mean ${near.join(' or ')}?)` : t.type;
  });
  return `unknown event type${missing.length > 1 ? 's' : ''}: ${parts.join(', ')}; see \`twhook event-types list --filter WORD\``;
}
