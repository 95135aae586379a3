/**
 * `twhook dev --events TYPE...`: for the length of a session, a webhook sink pointing at the
 * tunnel (`/events`, or --events-path) and a subscription for the types. Both are journaled
 * write-ahead like number changes: the entry (with a marker put in the resource's description)
 * is on disk before the create call, so a session killed at any moment leaves enough for the
 * next `dev` or `twhook restore` to find and delete what it created.
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../ctx.js';
import { RemoteError, UsageError } from '../errors.js';
import type { ExtensionContext, ExtensionHandle, SessionExtension } from '../dev/session.js';
import type { ResourceEntry } from '../state/journal.js';
import { mayStillApply } from '../state/number-change.js';
import type { EventTypeSelection, Sink, Subscription } from '../twilio/eventstreams.js';
import { explainSinkCreateFailure, explainSubscriptionCreateFailure } from './explain.js';
import { formatSelection, parseTypeSelections } from './selection.js';

export interface DevEventsOptions {
  types: EventTypeSelection[];
  /** Path on the tunnel the sink delivers to; default /events. */
  path: string;
  /** USER:PASS the session's proxy requires, carried in the sink's URL like in the numbers'. */
  basicAuth?: { username: string; password: string };
}

export interface DevEventsResources {
  /** The URL deliveries go to (without credentials). */
  url: string;
  sinkSid: string;
  subscriptionSid: string;
  types: string[];
  /** Journal entry ids, for the teardown. */
  entryIds: string[];
}

export const DEFAULT_EVENTS_PATH = '/events';

/** Checks the --events and --events-path flags (before the session starts). */
export function parseDevEventsFlags(flags: {
  events?: unknown;
  eventsPath?: unknown;
  basicAuth?: unknown;
}): DevEventsOptions | undefined {
  const raw = flags.events;
  if (raw === undefined) {
    if (flags.eventsPath !== undefined)
      throw new UsageError('--events-path needs --events TYPE: name the event types to receive');
    return undefined;
  }
  const values = (Array.isArray(raw) ? raw : [raw]).map(String);
  const types = parseTypeSelections(values);
  if (!types.length)
    throw new UsageError(
      '--events needs at least one event type, e.g. --events com.twilio.messaging.message.delivered',
    );
  const path = flags.eventsPath === undefined ? DEFAULT_EVENTS_PATH : String(flags.eventsPath);
  if (!path.startsWith('/') || /\s|#/.test(path)) {
    throw new UsageError(
      `--events-path ${path} must be a path starting with / (e.g. /twilio/events), without spaces or #`,
    );
  }
  let basicAuth: DevEventsOptions['basicAuth'];
  if (typeof flags.basicAuth === 'string') {
    const colon = flags.basicAuth.indexOf(':');
    if (colon > 0)
      basicAuth = { username: flags.basicAuth.slice(0, colon), password: flags.basicAuth.slice(colon + 1) };
  }
  return { types, path, ...(basicAuth ? { basicAuth } : {}) };
}

/** The delivery URL: the tunnel's base URL plus the path (and the session's basic-auth credentials). */
export function eventsUrl(
  publicUrl: string,
  options: Pick<DevEventsOptions, 'path' | 'basicAuth'>,
  withCredentials: boolean,
): string {
  const url = new URL(publicUrl.replace(/\/+$/, '') + options.path);
  if (withCredentials && options.basicAuth) {
    url.username = options.basicAuth.username;
    url.password = options.basicAuth.password;
  }
  return url.toString();
}

const newMarker = () => `twhook-dev:${randomBytes(6).toString('hex')}`;

/** Codes of requests that never reached the API: nothing can have been created. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A 4xx answer (Twilio refused) or a request that never left (connection refused, no DNS): the
 * resource certainly does not exist, so its journal entry goes rather than asking restore to
 * delete something that was never made.
 */
const refused = (err: unknown) =>
  err instanceof RemoteError &&
  (((err.info.status ?? 0) >= 400 && (err.info.status ?? 0) < 500) ||
    (err.info.service === 'network' && NEVER_SENT.has(String(err.info.code))));

/**
 * Creates the sink and the subscription, each journaled before its call. On failure, what was
 * created stays journaled for the session's restore (which runs whatever happens).
 */
export async function setupDevEvents(
  context: ExtensionContext,
  options: DevEventsOptions,
): Promise<DevEventsResources> {
  const port = await context.twilio();
  const { events } = port;
  const { journal } = context;
  // Below the app's base path, like the numbers' URLs: the path Twilio signs is the one the app gets.
  const url = eventsUrl(context.webhookBase, options, false);
  const destination = eventsUrl(context.webhookBase, options, true);
  const types = options.types.map(formatSelection);
  const base = {
    accountSid: port.accountSid,
    origin: 'dev' as const,
    batch: context.batch,
    session: context.session,
    owner: context.owner,
  };

  const sinkMarker = newMarker();
  const sinkDescription = `twhook dev session ${context.session}, temporary (${sinkMarker})`;
  const sinkEntry = journal.begin({
    ...base,
    kind: 'event-sink',
    marker: sinkMarker,
    description: sinkDescription,
    details: { destination: url, types },
  });
  let sink: Sink;
  try {
    sink = await events.sinks.create({
      sinkType: 'webhook',
      description: sinkDescription,
      configuration: { destination, method: 'POST', batch_events: false },
    });
  } catch (err) {
    if (refused(err)) journal.discard(sinkEntry.id);
    else if (mayStillApply(err)) journal.update(sinkEntry.id, { timedOut: true });
    throw await explainSinkCreateFailure(err, events);
  }
  journal.markApplied(sinkEntry.id, { sid: sink.sid });

  const subMarker = newMarker();
  const subDescription = `twhook dev session ${context.session}, temporary (${subMarker})`;
  const subEntry = journal.begin({
    ...base,
    kind: 'event-subscription',
    marker: subMarker,
    description: subDescription,
    details: { sinkSid: sink.sid, types },
  });
  let subscription: Subscription;
  try {
    subscription = await events.subscriptions.create({
      sinkSid: sink.sid,
      types: options.types,
      description: subDescription,
    });
  } catch (err) {
    if (refused(err)) journal.discard(subEntry.id);
    else if (mayStillApply(err)) journal.update(subEntry.id, { timedOut: true });
    throw await explainSubscriptionCreateFailure(err, events, { sinkSid: sink.sid, types: options.types });
  }
  journal.markApplied(subEntry.id, { sid: subscription.sid });
  return { url, sinkSid: sink.sid, subscriptionSid: subscription.sid, types, entryIds: [sinkEntry.id, subEntry.id] };
}

/** Deletes the subscription, then the sink (the restore engine's order), and marks them restored. */
export async function teardownDevEvents(
  context: Pick<ExtensionContext, 'twilio' | 'journal' | 'session'>,
  resources: Pick<DevEventsResources, 'entryIds'>,
): Promise<void> {
  const { restoreEntries } = await import('../state/restore.js');
  const ids = new Set(resources.entryIds);
  const entries = context.journal.unrestored().filter((e): e is ResourceEntry => ids.has(e.id));
  if (!entries.length) return;
  const report = await restoreEntries(await context.twilio(), context.journal, entries, {
    note: `deleted at the end of dev session ${context.session}`,
  });
  if (report.failed.length) {
    throw new Error(
      report.failed
        .map((r) => `${r.kind} ${r.kind === 'number' ? r.phoneNumber : (r.sid ?? '')}: ${r.error}`)
        .join('; '),
    );
  }
}

/** The `dev` session step for --events (see DEV_EXTENSIONS in src/commands/dev.ts). */
export function createExtension(_ctx: Ctx, flags: Record<string, unknown>): SessionExtension | undefined {
  const options = parseDevEventsFlags(flags);
  if (!options) return undefined;
  return {
    name: 'events',
    async setup(context): Promise<ExtensionHandle> {
      const resources = await setupDevEvents(context, options);
      return {
        ready: {
          url: resources.url,
          sink: resources.sinkSid,
          subscription: resources.subscriptionSid,
          types: resources.types,
        },
        teardown: () => teardownDevEvents(context, resources),
      };
    },
  };
}
