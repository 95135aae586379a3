/**
 * Event Streams (events.twilio.com/v1): sinks, subscriptions, their subscribed events and the
 * catalogue of event types, in twhook's own types. Built on the SDK client that
 * src/twilio/client.ts passes in, so this module never loads `twilio` itself (type imports only).
 */
import type { Twilio } from 'twilio';
import { RemoteError } from '../errors.js';
import { toRemoteError } from './errors.js';

export type SinkType = 'webhook' | 'kinesis' | 'segment' | 'email';
export type SinkStatus = 'initialized' | 'validating' | 'active' | 'failed';

/** Twilio's `sink_configuration` JSON for each sink type (snake_case, as Twilio stores it). */
export interface WebhookSinkConfiguration {
  destination: string;
  method: 'POST' | 'GET';
  batch_events: boolean;
}
export interface KinesisSinkConfiguration {
  arn: string;
  role_arn: string;
  external_id: string;
}
/** `write_key` is a secret: Twilio returns it on every fetch, so renderers must mask it. */
export interface SegmentSinkConfiguration {
  write_key: string;
}
export type SinkConfiguration =
  WebhookSinkConfiguration | KinesisSinkConfiguration | SegmentSinkConfiguration | Record<string, unknown>;

export interface Sink {
  sid: string;
  description: string;
  sinkType: SinkType;
  status: SinkStatus;
  configuration: Record<string, unknown>;
  dateCreated: string | null;
  dateUpdated: string | null;
}

export interface NewSink {
  description: string;
  sinkType: SinkType;
  configuration: SinkConfiguration;
}

export interface Subscription {
  sid: string;
  accountSid: string;
  sinkSid: string;
  description: string;
  dateCreated: string | null;
  dateUpdated: string | null;
}

/** One event type of a subscription; without a schema version Twilio picks the type's default. */
export interface EventTypeSelection {
  type: string;
  schemaVersion?: number;
}

export interface NewSubscription {
  description: string;
  sinkSid: string;
  types: EventTypeSelection[];
}

export interface SubscribedEvent {
  subscriptionSid: string;
  type: string;
  schemaVersion: number;
}

export interface EventType {
  type: string;
  schemaId: string | null;
  description: string | null;
  /** `available`, `deprecated`, `restricted`, `discontinued`. */
  status: string | null;
  documentationUrl: string | null;
  dateCreated: string | null;
}

export interface SinksApi {
  /** Every sink on the account, all pages. */
  list(filter?: { inUse?: boolean; status?: SinkStatus }): Promise<Sink[]>;
  fetch(sid: string): Promise<Sink>;
  create(sink: NewSink): Promise<Sink>;
  updateDescription(sid: string, description: string): Promise<Sink>;
  remove(sid: string): Promise<void>;
  /** Asks Twilio to send the sink's test event; `result` is Twilio's word ("submitted"). */
  test(sid: string): Promise<{ result: string }>;
  /** Confirms the test event arrived (its `test_id`), which makes the sink active. */
  validate(sid: string, testId: string): Promise<{ result: string }>;
}

export interface SubscriptionsApi {
  /** Every subscription (of one sink when `sinkSid` is given), all pages. */
  list(filter?: { sinkSid?: string }): Promise<Subscription[]>;
  fetch(sid: string): Promise<Subscription>;
  create(subscription: NewSubscription): Promise<Subscription>;
  updateDescription(sid: string, description: string): Promise<Subscription>;
  remove(sid: string): Promise<void>;
}

export interface SubscribedEventsApi {
  list(subscriptionSid: string): Promise<SubscribedEvent[]>;
  add(subscriptionSid: string, selection: EventTypeSelection): Promise<SubscribedEvent>;
  update(subscriptionSid: string, type: string, schemaVersion: number): Promise<SubscribedEvent>;
  remove(subscriptionSid: string, type: string): Promise<void>;
}

export interface EventTypesApi {
  /** The whole catalogue, every page. */
  list(filter?: { schemaId?: string }): Promise<EventType[]>;
  fetch(type: string): Promise<EventType>;
}

export interface EventsApi {
  readonly sinks: SinksApi;
  readonly subscriptions: SubscriptionsApi;
  readonly subscribedEvents: SubscribedEventsApi;
  readonly eventTypes: EventTypesApi;
}

/** The largest page events.twilio.com serves: fewest round trips for "all pages". */
const PAGE_SIZE = 1000;

const iso = (date: Date | null | undefined): string | null =>
  date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;

/* eslint-disable @typescript-eslint/no-explicit-any */
function toSink(instance: any): Sink {
  let configuration = instance.sinkConfiguration;
  if (typeof configuration === 'string') {
    try {
      configuration = JSON.parse(configuration);
    } catch {
      configuration = {};
    }
  }
  return {
    sid: instance.sid,
    description: instance.description ?? '',
    sinkType: instance.sinkType,
    status: instance.status,
    configuration: configuration && typeof configuration === 'object' ? configuration : {},
    dateCreated: iso(instance.dateCreated),
    dateUpdated: iso(instance.dateUpdated),
  };
}

function toSubscription(instance: any): Subscription {
  return {
    sid: instance.sid,
    accountSid: instance.accountSid,
    sinkSid: instance.sinkSid,
    description: instance.description ?? '',
    dateCreated: iso(instance.dateCreated),
    dateUpdated: iso(instance.dateUpdated),
  };
}

function toSubscribedEvent(instance: any): SubscribedEvent {
  return { subscriptionSid: instance.subscriptionSid, type: instance.type, schemaVersion: instance.schemaVersion };
}

function toEventType(instance: any): EventType {
  return {
    type: instance.type,
    schemaId: instance.schemaId ?? null,
    description: instance.description ?? null,
    status: instance.status ?? null,
    documentationUrl: instance.documentationUrl ?? null,
    dateCreated: iso(instance.dateCreated),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * A DELETE whose reply came but could not be read (HPE_…) may have been carried out: a GET says
 * whether the resource is gone (then the delete worked) before anything is reported as failed.
 */
async function removeChecked(remove: () => Promise<unknown>, fetch: () => Promise<unknown>): Promise<void> {
  try {
    await call(remove);
  } catch (err) {
    if (!(err instanceof RemoteError) || !String(err.info.code ?? '').startsWith('HPE_')) throw err;
    try {
      await call(fetch);
    } catch (check) {
      if (check instanceof RemoteError && (check.info.status === 404 || check.info.code === 20404)) return;
      throw new RemoteError(
        `${err.message}; checking whether it is gone failed too: ${(check as Error).message}`,
        err.info,
      );
    }
    throw new RemoteError(`${err.message}, yet it still exists: run the delete again`, err.info);
  }
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw toRemoteError(err);
  }
}

/** Built by src/twilio/client.ts from the SDK client. */
export function createEventsApi(client: Twilio): EventsApi {
  const v1 = () => client.events.v1;
  const sinks: SinksApi = {
    list: (filter = {}) => call(async () => (await v1().sinks.list({ ...filter, pageSize: PAGE_SIZE })).map(toSink)),
    fetch: (sid) => call(async () => toSink(await v1().sinks(sid).fetch())),
    create: (sink) =>
      call(async () =>
        toSink(
          await v1().sinks.create({
            description: sink.description,
            sinkType: sink.sinkType,
            sinkConfiguration: sink.configuration,
          }),
        ),
      ),
    updateDescription: (sid, description) => call(async () => toSink(await v1().sinks(sid).update({ description }))),
    remove: (sid) =>
      removeChecked(
        () => v1().sinks(sid).remove(),
        () => v1().sinks(sid).fetch(),
      ),
    test: (sid) => call(async () => ({ result: (await v1().sinks(sid).sinkTest.create()).result ?? '' })),
    validate: (sid, testId) =>
      call(async () => ({ result: (await v1().sinks(sid).sinkValidate.create({ testId })).result ?? '' })),
  };

  const subscriptions: SubscriptionsApi = {
    list: (filter = {}) =>
      call(async () =>
        (
          await v1().subscriptions.list({ ...(filter.sinkSid ? { sinkSid: filter.sinkSid } : {}), pageSize: PAGE_SIZE })
        ).map(toSubscription),
      ),
    fetch: (sid) => call(async () => toSubscription(await v1().subscriptions(sid).fetch())),
    create: (subscription) =>
      call(async () =>
        toSubscription(
          await v1().subscriptions.create({
            description: subscription.description,
            sinkSid: subscription.sinkSid,
            // The SDK sends each as its own `Types` form key holding a JSON object.
            types: subscription.types.map(typeJson),
          }),
        ),
      ),
    updateDescription: (sid, description) =>
      call(async () => toSubscription(await v1().subscriptions(sid).update({ description }))),
    remove: (sid) =>
      removeChecked(
        () => v1().subscriptions(sid).remove(),
        () => v1().subscriptions(sid).fetch(),
      ),
  };

  const subscribedEvents: SubscribedEventsApi = {
    list: (subscriptionSid) =>
      call(async () =>
        (await v1().subscriptions(subscriptionSid).subscribedEvents.list({ pageSize: PAGE_SIZE })).map(
          toSubscribedEvent,
        ),
      ),
    add: (subscriptionSid, selection) =>
      call(async () =>
        toSubscribedEvent(
          await v1()
            .subscriptions(subscriptionSid)
            .subscribedEvents.create({
              type: selection.type,
              ...(selection.schemaVersion !== undefined ? { schemaVersion: selection.schemaVersion } : {}),
            }),
        ),
      ),
    update: (subscriptionSid, type, schemaVersion) =>
      call(async () =>
        toSubscribedEvent(
          await v1()
            .subscriptions(subscriptionSid)
            .subscribedEvents(encodeURIComponent(type))
            .update({ schemaVersion }),
        ),
      ),
    remove: (subscriptionSid, type) =>
      call(async () => {
        await v1().subscriptions(subscriptionSid).subscribedEvents(encodeURIComponent(type)).remove();
      }),
  };

  const eventTypes: EventTypesApi = {
    list: (filter = {}) =>
      call(async () =>
        (
          await v1().eventTypes.list({ ...(filter.schemaId ? { schemaId: filter.schemaId } : {}), pageSize: PAGE_SIZE })
        ).map(toEventType),
      ),
    fetch: (type) => call(async () => toEventType(await v1().eventTypes(encodeURIComponent(type)).fetch())),
  };

  return { sinks, subscriptions, subscribedEvents, eventTypes };
}

/** The JSON object Twilio expects in each `Types` value: {"type": ..., "schema_version": N}. */
export function typeJson(selection: EventTypeSelection): { type: string; schema_version?: number } {
  return selection.schemaVersion === undefined
    ? { type: selection.type }
    : { type: selection.type, schema_version: selection.schemaVersion };
}
