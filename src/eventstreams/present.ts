/**
 * Shared by the sinks, subscriptions and event-types commands: SID checks, the JSON shapes they
 * print (stable, camelCase, never a secret), and small helpers for talking about Twilio's answers.
 */
import type { Ctx } from '../ctx.js';
import { RemoteError, UsageError } from '../errors.js';
import type { EventsApi, EventType, Sink, SubscribedEvent, Subscription } from '../twilio/eventstreams.js';
import { describeDestination, publicConfiguration, sinkSecrets } from './sink-config.js';

const SINK_SID = /^DG[0-9a-fA-F]{32}$/;
const SUBSCRIPTION_SID = /^DF[0-9a-fA-F]{32}$/;

export function checkSinkSid(value: string | undefined): string {
  if (!value || !SINK_SID.test(value)) {
    throw new UsageError(
      `${value ? `"${value}" is not` : 'give'} a sink SID (DG followed by 32 hex digits; \`twhook sinks list\` shows them)`,
    );
  }
  return value;
}

export function checkSubscriptionSid(value: string | undefined): string {
  if (!value || !SUBSCRIPTION_SID.test(value)) {
    throw new UsageError(
      `${value ? `"${value}" is not` : 'give'} a subscription SID (DF followed by 32 hex digits; \`twhook subscriptions list\` shows them)`,
    );
  }
  return value;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof RemoteError && (err.info.status === 404 || err.info.code === 20404);
}

/** Runs `fn`; a 404 from Twilio becomes `message` (keeping Twilio's code and status). */
export async function orNotFound<T>(fn: () => Promise<T>, message: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) throw new RemoteError(message, (err as RemoteError).info, { cause: err });
    throw err;
  }
}

/**
 * True when REST calls go to twhook's own emulator on this machine, which can deliver to loopback
 * URLs: the API URL is on loopback and TWHOOK_EMULATOR_DELIVERS_LOCALLY=1 says so. Any other API
 * on loopback (a fake of Twilio's) stands for Twilio, which cannot reach this machine.
 */
export function apiIsLocal(ctx: Ctx): boolean {
  if (ctx.env.TWHOOK_EMULATOR_DELIVERS_LOCALLY !== '1') return false;
  const apiUrl = ctx.globals.apiUrl ?? ctx.env.TWHOOK_API_URL;
  if (!apiUrl) return false;
  try {
    const host = new URL(apiUrl).hostname.replace(/^\[|\]$/g, '');
    return host === '127.0.0.1' || host === 'localhost' || host === '::1';
  } catch {
    return false;
  }
}

/** Every secret a sink holds goes to the redactor before anything about it is printed. */
export function guardSecrets(ctx: Ctx, sinks: { configuration: object }[]): void {
  for (const sink of sinks) for (const secret of sinkSecrets(sink)) ctx.out.redactor.add(secret);
}

export interface SinkJson {
  sid: string;
  type: string;
  status: string;
  description: string;
  destination: string;
  configuration: Record<string, unknown>;
  dateCreated: string | null;
  dateUpdated: string | null;
}

export function sinkJson(sink: Sink): SinkJson {
  return {
    sid: sink.sid,
    type: sink.sinkType,
    status: sink.status,
    description: sink.description,
    destination: describeDestination(sink),
    configuration: publicConfiguration(sink),
    dateCreated: sink.dateCreated,
    dateUpdated: sink.dateUpdated,
  };
}

export interface SubscriptionJson {
  sid: string;
  sinkSid: string;
  description: string;
  types: { type: string; schemaVersion: number }[];
  /** Set when the event types could not be read (they are optional to every command): `types` is then empty. */
  typesError?: string;
  dateCreated: string | null;
  dateUpdated: string | null;
}

export function subscriptionJson(sub: Subscription, types: SubscribedEvent[]): SubscriptionJson {
  return {
    sid: sub.sid,
    sinkSid: sub.sinkSid,
    description: sub.description,
    types: types.map((t) => ({ type: t.type, schemaVersion: t.schemaVersion })),
    dateCreated: sub.dateCreated,
    dateUpdated: sub.dateUpdated,
  };
}

export function eventTypeJson(t: EventType): EventType {
  return { ...t };
}

/** `type@version` list for a table cell. */
export function typesCell(types: { type: string; schemaVersion: number }[], typesError?: string): string {
  if (typesError) return '(could not be read)';
  return types.map((t) => `${t.type}@${t.schemaVersion}`).join(', ');
}

/**
 * A subscription with its subscribed types. Reading them is optional to every command: when it
 * fails (Twilio or the network), the subscription is still reported, with `typesError`.
 */
export async function readTypes(events: EventsApi, sub: Subscription): Promise<SubscriptionJson> {
  try {
    return subscriptionJson(sub, await events.subscribedEvents.list(sub.sid));
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err;
    return { ...subscriptionJson(sub, []), typesError: err.message };
  }
}

/** One warning per subscription whose types could not be read, naming the command that tries again. */
export function warnUnreadTypes(ctx: Ctx, subs: (SubscriptionJson | null)[]): void {
  for (const sub of subs) {
    if (sub?.typesError)
      ctx.out.warn(
        `could not read the event types of subscription ${sub.sid}: ${sub.typesError}; \`twhook subscriptions show ${sub.sid}\` tries again`,
      );
  }
}

/** Subscriptions with their subscribed types, a few requests at a time. */
export async function withTypes(events: EventsApi, subs: Subscription[], concurrency = 6): Promise<SubscriptionJson[]> {
  const out: SubscriptionJson[] = new Array(subs.length);
  let next = 0;
  const worker = async () => {
    while (next < subs.length) {
      const i = next++;
      out[i] = await readTypes(events, subs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, subs.length) }, worker));
  return out;
}

export { plural } from '../ui/format.js';
