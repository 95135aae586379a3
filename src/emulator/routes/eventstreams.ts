/**
 * events.twilio.com/v1: Sinks (with Test and Validate), Subscriptions, their SubscribedEvents and
 * the Types catalogue, following ../../../shared/twilio-oai/events_v1_subset.json. Lists page the
 * v1 way (`meta.next_page_url`); creates answer 201; refusals are Twilio's error JSON.
 *
 * Behaviour modelled on Twilio's documentation:
 * - A webhook sink is `active` as soon as it is created; a Kinesis or Segment sink starts
 *   `initialized` (tests can change this with `sinkInitialStatus`). A subscription needs an active
 *   sink. Test sends the sink's test event (carrying a `test_id`) and moves an inactive sink to
 *   `validating`; Validate with that `test_id` makes it `active` (a wrong one: 400, no change).
 * - 100 sinks and 100 subscriptions per account (`eventLimits` lowers them for tests).
 * - Deliveries (Test, and `state.events.publish()` in tests) go only to webhook sinks whose
 *   destination host is 127.0.0.1: a JSON array of CloudEvents, POSTed to the destination with
 *   `bodySHA256` added to its query and X-Twilio-Signature computed over that URL, as Twilio signs
 *   JSON webhooks. Every other destination is recorded as skipped, never contacted.
 *
 * The error codes for a limit and an inactive sink are this emulator's choice (Twilio documents
 * neither); twhook recognises those refusals by looking at the account, not by code.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiError, formValue, formValues, notFound, rejectUnknownParams, type EmuRequest } from '../http.js';
import { pageV1 } from '../paging.js';
import type { EmulatorState, RouteModule } from '../server.js';
import { randomHex, randomSid } from '../ids.js';

export type EmuSinkType = 'kinesis' | 'webhook' | 'segment' | 'email';
export type EmuSinkStatus = 'initialized' | 'validating' | 'active' | 'failed';

export interface SinkRecord {
  sid: string;
  description: string;
  sinkType: EmuSinkType;
  status: EmuSinkStatus;
  configuration: Record<string, unknown>;
  dateCreated: string;
  dateUpdated: string;
  /** The test_id of the latest test event; Validate must quote it. */
  testId?: string;
}

export interface SubscriptionRecord {
  sid: string;
  sinkSid: string;
  description: string;
  dateCreated: string;
  dateUpdated: string;
  /** Event type -> schema version, in the order they were added. */
  types: Map<string, number>;
}

export interface EventTypeSeed {
  type: string;
  schemaId: string;
  description: string;
  /** available (default), deprecated, restricted, discontinued. */
  status?: string;
  documentationUrl?: string | null;
  dateCreated?: string;
}

export interface CloudEvent {
  specversion: '1.0';
  type: string;
  source: string;
  id: string;
  dataschema: string;
  datacontenttype: 'application/json';
  time: string;
  data: Record<string, unknown>;
}

export interface Delivery {
  sinkSid: string;
  /** The URL requested (destination + bodySHA256), or the destination of a skipped delivery. */
  url: string;
  events: CloudEvent[];
  body: string;
  headers: Record<string, string>;
  /** The destination's HTTP status, when it answered. */
  status?: number;
  error?: string;
  /** Why nothing was sent (not a webhook, not on 127.0.0.1...). */
  skipped?: string;
}

export interface EventsState {
  sinks: Map<string, SinkRecord>;
  subscriptions: Map<string, SubscriptionRecord>;
  types: EventTypeSeed[];
  /** Schema id -> its newest version (versions run from 1). */
  schemaVersions: Map<string, number>;
  limits: { sinks: number; subscriptions: number };
  /** Every delivery attempted or skipped, in order. */
  deliveries: Delivery[];
  /** Creates a sink directly (tests: fill an account up to a limit). */
  addSink(seed: Partial<SinkRecord> & { sinkType: EmuSinkType; configuration: Record<string, unknown> }): SinkRecord;
  /** Sends an event of `type` to every active sink subscribed to it; resolves when delivered. */
  publish(type: string, data?: Record<string, unknown>): Promise<Delivery[]>;
}

declare module '../server.js' {
  interface EmulatorState {
    events: EventsState;
  }
  interface EmulatorOptions {
    /** Replaces the seeded catalogue of event types. */
    eventTypes?: EventTypeSeed[];
    /** Newest version per schema id (default: those of the seeded catalogue). */
    eventSchemaVersions?: Record<string, number>;
    /** Lower limits than Twilio's 100 sinks and 100 subscriptions, for tests. */
    eventLimits?: { sinks?: number; subscriptions?: number };
    /** Largest page served (Twilio: 1000); lower it to make tests walk several pages. */
    eventsMaxPageSize?: number;
    /** Status of a new sink by type (default: webhook active, others initialized). */
    sinkInitialStatus?: Partial<Record<EmuSinkType, EmuSinkStatus>>;
  }
}

const SCHEMAS: Record<string, number> = {
  'Messaging.MessageStatus': 6,
  'Messaging.InboundMessageV1': 1,
  'VoiceInsights.CallSummary': 2,
  'VoiceInsights.CallEvent': 1,
  'Voice.CallStatus': 2,
  'Studio.FlowExecution': 1,
  'Studio.FlowStep': 1,
  'TaskRouter.WDSEvent': 1,
  'ErrorLogs.ErrorLog': 1,
  'VideoInsights.RoomSummary': 1,
  'Conversations.Message': 1,
  'EventStreams.TestSink': 2,
};

const t = (type: string, schemaId: string, description: string, status = 'available'): EventTypeSeed => ({
  type,
  schemaId,
  description,
  status,
  documentationUrl: null,
  dateCreated: '2021-03-10T13:28:20Z',
});

/** A realistic slice of the catalogue events.twilio.com serves. */
export const DEFAULT_EVENT_TYPES: EventTypeSeed[] = [
  t('com.twilio.messaging.message.queued', 'Messaging.MessageStatus', 'Messaging- message queued'),
  t('com.twilio.messaging.message.sent', 'Messaging.MessageStatus', 'Messaging- message sent'),
  t('com.twilio.messaging.message.delivered', 'Messaging.MessageStatus', 'Messaging- delivered message'),
  t('com.twilio.messaging.message.undelivered', 'Messaging.MessageStatus', 'Messaging- undelivered message'),
  t('com.twilio.messaging.message.failed', 'Messaging.MessageStatus', 'Messaging- failed message'),
  t('com.twilio.messaging.message.read', 'Messaging.MessageStatus', 'Messaging- message read'),
  t(
    'com.twilio.messaging.inbound-message.received',
    'Messaging.InboundMessageV1',
    'Messaging- inbound message received',
  ),
  t('com.twilio.voice.status-callback.call.initiated', 'Voice.CallStatus', 'Voice- call initiated'),
  t('com.twilio.voice.status-callback.call.ringing', 'Voice.CallStatus', 'Voice- call ringing'),
  t('com.twilio.voice.status-callback.call.answered', 'Voice.CallStatus', 'Voice- call answered'),
  t('com.twilio.voice.status-callback.call.completed', 'Voice.CallStatus', 'Voice- call completed'),
  t(
    'com.twilio.voice.insights.call-summary.complete',
    'VoiceInsights.CallSummary',
    'Voice Insights- call summary complete',
  ),
  t(
    'com.twilio.voice.insights.call-summary.partial',
    'VoiceInsights.CallSummary',
    'Voice Insights- partial call summary',
  ),
  t(
    'com.twilio.voice.insights.call-event.gateway',
    'VoiceInsights.CallEvent',
    'Voice Insights- carrier gateway event',
    'deprecated',
  ),
  t('com.twilio.voice.insights.call-event.sdk', 'VoiceInsights.CallEvent', 'Voice Insights- SDK event'),
  t('com.twilio.studio.flow.execution.started', 'Studio.FlowExecution', 'Studio- flow execution started'),
  t('com.twilio.studio.flow.execution.ended', 'Studio.FlowExecution', 'Studio- flow execution ended'),
  t('com.twilio.studio.flow.step.ended', 'Studio.FlowStep', 'Studio- flow step ended'),
  t('com.twilio.taskrouter.task.created', 'TaskRouter.WDSEvent', 'TaskRouter- task created'),
  t('com.twilio.taskrouter.task.canceled', 'TaskRouter.WDSEvent', 'TaskRouter- task canceled'),
  t('com.twilio.taskrouter.task.completed', 'TaskRouter.WDSEvent', 'TaskRouter- task completed'),
  t('com.twilio.taskrouter.reservation.created', 'TaskRouter.WDSEvent', 'TaskRouter- reservation created'),
  t('com.twilio.taskrouter.reservation.accepted', 'TaskRouter.WDSEvent', 'TaskRouter- reservation accepted'),
  t('com.twilio.taskrouter.worker.activity.update', 'TaskRouter.WDSEvent', 'TaskRouter- worker activity updated'),
  t('com.twilio.error-logs.error.logged', 'ErrorLogs.ErrorLog', 'Error Logs- error logged'),
  t('com.twilio.video.insights.log-analyzer.room-summary', 'VideoInsights.RoomSummary', 'Video Insights- room summary'),
  t('com.twilio.conversations.message.added', 'Conversations.Message', 'Conversations- message added'),
  t(
    'com.twilio.conversations.message.removed',
    'Conversations.Message',
    'Conversations- message removed',
    'restricted',
  ),
];

const TEST_EVENT_TYPE = 'com.twilio.eventstreams.test-event';
const SINK_SID = /^DG[0-9a-fA-F]{32}$/;
const SUBSCRIPTION_SID = /^DF[0-9a-fA-F]{32}$/;
const SINK_TYPES: EmuSinkType[] = ['kinesis', 'webhook', 'segment', 'email'];
const DELIVERY_TIMEOUT_MS = 5_000;

/** ISO 8601 as events.twilio.com writes it: seconds, Z. */
const v1Date = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const invalid = (message: string) => new ApiError(400, 20001, message);

export const register: RouteModule['register'] = (router, state, options) => {
  const sinks = new Map<string, SinkRecord>();
  const subscriptions = new Map<string, SubscriptionRecord>();
  const types = options.eventTypes ?? DEFAULT_EVENT_TYPES;
  const schemaVersions = new Map(Object.entries({ ...SCHEMAS, ...options.eventSchemaVersions }));
  const maxPageSize = options.eventsMaxPageSize ?? 1000;
  const initialStatus = (type: EmuSinkType): EmuSinkStatus =>
    options.sinkInitialStatus?.[type] ?? (type === 'webhook' ? 'active' : 'initialized');

  const now = () => v1Date(state.now());

  const events: EventsState = {
    sinks,
    subscriptions,
    types,
    schemaVersions,
    limits: { sinks: options.eventLimits?.sinks ?? 100, subscriptions: options.eventLimits?.subscriptions ?? 100 },
    deliveries: [],
    addSink(seed) {
      const at = now();
      const sink: SinkRecord = {
        sid: seed.sid ?? randomSid('DG'),
        description: seed.description ?? `${seed.sinkType} sink`,
        sinkType: seed.sinkType,
        status: seed.status ?? initialStatus(seed.sinkType),
        configuration: seed.configuration,
        dateCreated: seed.dateCreated ?? at,
        dateUpdated: seed.dateUpdated ?? at,
        testId: seed.testId,
      };
      sinks.set(sink.sid, sink);
      return sink;
    },
    async publish(type, data = {}) {
      const targets = new Map<string, number>();
      for (const sub of subscriptions.values()) {
        const version = sub.types.get(type);
        const sink = sinks.get(sub.sinkSid);
        if (version !== undefined && sink?.status === 'active' && !targets.has(sink.sid))
          targets.set(sink.sid, version);
      }
      const schemaId = types.find((x) => x.type === type)?.schemaId ?? 'Unknown';
      return Promise.all(
        [...targets].map(([sid, version]) =>
          deliver(state, sinks.get(sid)!, [cloudEvent(state, type, `${schemaId}/${version}`, data)]),
        ),
      );
    },
  };
  state.events = events;

  // Clamps PageSize to the emulator's largest page, so tests can make lists span pages.
  const paged = <T>(req: EmuRequest, all: T[], key: string, idOf?: (item: T, index: number) => string) => {
    const query = new URLSearchParams(req.query);
    const asked = Number(query.get('PageSize') ?? 50);
    query.set('PageSize', String(Math.min(Number.isFinite(asked) && asked > 0 ? asked : 50, maxPageSize)));
    return { status: 200, body: pageV1({ ...req, query }, all, key, idOf ? { idOf } : {}) };
  };

  const sinkJson = (req: EmuRequest, s: SinkRecord) => {
    const url = `${req.baseUrl}/v1/Sinks/${s.sid}`;
    return {
      status: s.status,
      sink_configuration: s.configuration,
      description: s.description,
      sid: s.sid,
      date_created: s.dateCreated,
      sink_type: s.sinkType,
      date_updated: s.dateUpdated,
      url,
      links: { sink_test: `${url}/Test`, sink_validate: `${url}/Validate` },
    };
  };

  const subscriptionJson = (req: EmuRequest, s: SubscriptionRecord) => {
    const url = `${req.baseUrl}/v1/Subscriptions/${s.sid}`;
    return {
      account_sid: state.accountSid,
      date_created: s.dateCreated,
      date_updated: s.dateUpdated,
      sid: s.sid,
      sink_sid: s.sinkSid,
      description: s.description,
      url,
      links: { subscribed_events: `${url}/SubscribedEvents` },
    };
  };

  const subscribedEventJson = (req: EmuRequest, s: SubscriptionRecord, type: string) => ({
    account_sid: state.accountSid,
    type,
    schema_version: s.types.get(type)!,
    subscription_sid: s.sid,
    url: `${req.baseUrl}/v1/Subscriptions/${s.sid}/SubscribedEvents/${type}`,
  });

  const typeJson = (req: EmuRequest, x: EventTypeSeed) => ({
    date_created: x.dateCreated ?? '2021-03-10T13:28:20Z',
    date_updated: x.dateCreated ?? '2021-03-10T13:28:20Z',
    type: x.type,
    schema_id: x.schemaId,
    status: x.status ?? 'available',
    documentation_url: x.documentationUrl ?? null,
    description: x.description,
    url: `${req.baseUrl}/v1/Types/${x.type}`,
    links: { schema: `${req.baseUrl}/v1/Schemas/${x.schemaId}/Versions` },
  });

  const findSink = (req: EmuRequest) => {
    const sink = sinks.get(req.params.Sid!);
    if (!sink) throw notFound(req.path);
    return sink;
  };
  const findSubscription = (req: EmuRequest, param = 'Sid') => {
    const sub = subscriptions.get(req.params[param]!);
    if (!sub) throw notFound(req.path);
    return sub;
  };
  const subscriptionsOf = (sinkSid: string) => [...subscriptions.values()].filter((s) => s.sinkSid === sinkSid);

  /** The schema version to store for a type: the one asked (it must exist) or the newest. */
  const versionFor = (type: string, asked: unknown): number => {
    const known = types.find((x) => x.type === type);
    if (!known) throw invalid(`Event type ${type} does not exist`);
    if (known.status === 'discontinued') throw invalid(`Event type ${type} is discontinued`);
    const newest = schemaVersions.get(known.schemaId) ?? 1;
    if (asked === undefined || asked === null || asked === '') return newest;
    const version = Number(asked);
    if (!Number.isInteger(version) || version < 1 || version > newest) {
      throw invalid(
        `Schema version ${String(asked)} does not exist for ${type} (${known.schemaId} has versions 1 to ${newest})`,
      );
    }
    return version;
  };

  // --- Sinks ---------------------------------------------------------------------------------

  router.get('/v1/Sinks', (req) => {
    let all = [...sinks.values()];
    const inUse = req.query.get('InUse');
    if (inUse !== null) all = all.filter((s) => subscriptionsOf(s.sid).length > 0 === (inUse === 'true'));
    const status = req.query.get('Status');
    if (status) all = all.filter((s) => s.status === status);
    return paged(
      req,
      all.map((s) => sinkJson(req, s)),
      'sinks',
    );
  });

  router.post('/v1/Sinks', (req) => {
    rejectUnknownParams(req, ['Description', 'SinkConfiguration', 'SinkType']);
    const description = formValue(req, 'Description');
    const type = formValue(req, 'SinkType');
    const rawConfiguration = formValue(req, 'SinkConfiguration');
    if (!description) throw invalid('Missing required parameter Description in the post body');
    if (!type) throw invalid('Missing required parameter SinkType in the post body');
    if (!rawConfiguration) throw invalid('Missing required parameter SinkConfiguration in the post body');
    if (!SINK_TYPES.includes(type as EmuSinkType))
      throw invalid(`Invalid SinkType ${type}: must be one of ${SINK_TYPES.join(', ')}`);
    let configuration: Record<string, unknown>;
    try {
      configuration = JSON.parse(rawConfiguration) as Record<string, unknown>;
      if (!configuration || typeof configuration !== 'object' || Array.isArray(configuration))
        throw new Error('not an object');
    } catch {
      throw invalid('SinkConfiguration must be a JSON object');
    }
    checkConfiguration(type as EmuSinkType, configuration);
    if (sinks.size >= events.limits.sinks) {
      throw invalid(`Maximum number of Sinks reached: an account can have at most ${events.limits.sinks} Sinks`);
    }
    const sink = events.addSink({ description, sinkType: type as EmuSinkType, configuration });
    return { status: 201, body: sinkJson(req, sink) };
  });

  router.get('/v1/Sinks/{Sid}', (req) => ({ status: 200, body: sinkJson(req, findSink(req)) }));

  router.post('/v1/Sinks/{Sid}', (req) => {
    rejectUnknownParams(req, ['Description']);
    const sink = findSink(req);
    const description = formValue(req, 'Description');
    if (!description) throw invalid('Missing required parameter Description in the post body');
    sink.description = description;
    sink.dateUpdated = now();
    return { status: 200, body: sinkJson(req, sink) };
  });

  router.delete('/v1/Sinks/{Sid}', (req) => {
    const sink = findSink(req);
    const using = subscriptionsOf(sink.sid);
    if (using.length) {
      throw invalid(`Sink ${sink.sid} is used by ${using.length} Subscription(s): delete them before the Sink`);
    }
    sinks.delete(sink.sid);
    return { status: 204 };
  });

  router.post('/v1/Sinks/{Sid}/Test', async (req) => {
    const sink = findSink(req);
    // A newer test replaces the previous one: only the latest test_id validates.
    sink.testId = randomSid('TE');
    if (sink.status !== 'active') sink.status = 'validating';
    sink.dateUpdated = now();
    const event = cloudEvent(
      state,
      TEST_EVENT_TYPE,
      `EventStreams.TestSink/${schemaVersions.get('EventStreams.TestSink') ?? 1}`,
      {
        test_id: sink.testId,
        sink_sid: sink.sid,
      },
    );
    event.source = 'Sink';
    await deliver(state, sink, [event]);
    return { status: 201, body: { result: 'submitted' } };
  });

  router.post('/v1/Sinks/{Sid}/Validate', (req) => {
    rejectUnknownParams(req, ['TestId']);
    const sink = findSink(req);
    const testId = formValue(req, 'TestId');
    if (!testId) throw invalid('Missing required parameter TestId in the post body');
    if (!sink.testId || testId !== sink.testId) {
      throw invalid(`TestId ${testId} does not match the latest test event of Sink ${sink.sid}`);
    }
    sink.status = 'active';
    sink.dateUpdated = now();
    return { status: 201, body: { result: 'valid' } };
  });

  // --- Subscriptions -------------------------------------------------------------------------

  router.get('/v1/Subscriptions', (req) => {
    const sinkSid = req.query.get('SinkSid');
    const all = [...subscriptions.values()].filter((s) => !sinkSid || s.sinkSid === sinkSid);
    return paged(
      req,
      all.map((s) => subscriptionJson(req, s)),
      'subscriptions',
    );
  });

  router.post('/v1/Subscriptions', (req) => {
    rejectUnknownParams(req, ['Description', 'SinkSid', 'Types']);
    const description = formValue(req, 'Description');
    const sinkSid = formValue(req, 'SinkSid');
    const rawTypes = formValues(req, 'Types');
    if (!description) throw invalid('Missing required parameter Description in the post body');
    if (!sinkSid) throw invalid('Missing required parameter SinkSid in the post body');
    if (!SINK_SID.test(sinkSid)) throw invalid(`Invalid SinkSid ${sinkSid}`);
    if (!rawTypes.length) throw invalid('Missing required parameter Types in the post body');
    const sink = sinks.get(sinkSid);
    if (!sink) throw invalid(`Sink ${sinkSid} was not found`);
    const selected = new Map<string, number>();
    for (const raw of rawTypes) {
      let parsed: { type?: unknown; schema_version?: unknown };
      try {
        parsed = JSON.parse(raw) as typeof parsed;
      } catch {
        throw invalid(`Types value is not JSON: ${raw}`);
      }
      if (!parsed || typeof parsed.type !== 'string') throw invalid(`Types value has no "type": ${raw}`);
      selected.set(parsed.type, versionFor(parsed.type, parsed.schema_version));
    }
    if (sink.status !== 'active') throw invalid(`Sink ${sinkSid} is not active (status: ${sink.status})`);
    if (subscriptions.size >= events.limits.subscriptions) {
      throw invalid(
        `Maximum number of Subscriptions reached: an account can have at most ${events.limits.subscriptions} Subscriptions`,
      );
    }
    const at = now();
    const sub: SubscriptionRecord = {
      sid: randomSid('DF'),
      sinkSid,
      description,
      dateCreated: at,
      dateUpdated: at,
      types: selected,
    };
    subscriptions.set(sub.sid, sub);
    return { status: 201, body: subscriptionJson(req, sub) };
  });

  router.get('/v1/Subscriptions/{Sid}', (req) => ({ status: 200, body: subscriptionJson(req, findSubscription(req)) }));

  router.post('/v1/Subscriptions/{Sid}', (req) => {
    rejectUnknownParams(req, ['Description']);
    const sub = findSubscription(req);
    const description = formValue(req, 'Description');
    if (description !== undefined) sub.description = description;
    sub.dateUpdated = now();
    return { status: 200, body: subscriptionJson(req, sub) };
  });

  router.delete('/v1/Subscriptions/{Sid}', (req) => {
    const sub = findSubscription(req);
    subscriptions.delete(sub.sid);
    return { status: 204 };
  });

  // --- SubscribedEvents ----------------------------------------------------------------------

  const checkSubscriptionSid = (req: EmuRequest) => {
    if (!SUBSCRIPTION_SID.test(req.params.SubscriptionSid!)) throw notFound(req.path);
    return findSubscription(req, 'SubscriptionSid');
  };

  router.get('/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents', (req) => {
    const sub = checkSubscriptionSid(req);
    return paged(
      req,
      [...sub.types.keys()].map((type) => subscribedEventJson(req, sub, type)),
      'types',
    );
  });

  router.post('/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents', (req) => {
    rejectUnknownParams(req, ['Type', 'SchemaVersion']);
    const sub = checkSubscriptionSid(req);
    const type = formValue(req, 'Type');
    if (!type) throw invalid('Missing required parameter Type in the post body');
    const existed = sub.types.has(type);
    sub.types.set(type, versionFor(type, formValue(req, 'SchemaVersion')));
    sub.dateUpdated = now();
    // Adding a type the subscription has already updates its version: 200 instead of 201.
    return { status: existed ? 200 : 201, body: subscribedEventJson(req, sub, type) };
  });

  const findSubscribed = (req: EmuRequest) => {
    const sub = checkSubscriptionSid(req);
    if (!sub.types.has(req.params.Type!)) throw notFound(req.path);
    return sub;
  };

  router.get('/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents/{Type}', (req) => {
    const sub = findSubscribed(req);
    return { status: 200, body: subscribedEventJson(req, sub, req.params.Type!) };
  });

  router.post('/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents/{Type}', (req) => {
    rejectUnknownParams(req, ['SchemaVersion']);
    const sub = findSubscribed(req);
    const type = req.params.Type!;
    sub.types.set(type, versionFor(type, formValue(req, 'SchemaVersion')));
    sub.dateUpdated = now();
    return { status: 200, body: subscribedEventJson(req, sub, type) };
  });

  router.delete('/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents/{Type}', (req) => {
    const sub = findSubscribed(req);
    if (sub.types.size === 1) {
      throw invalid(`Subscription ${sub.sid} must keep at least one event type: delete the Subscription instead`);
    }
    sub.types.delete(req.params.Type!);
    sub.dateUpdated = now();
    return { status: 204 };
  });

  // --- Types ---------------------------------------------------------------------------------

  router.get('/v1/Types', (req) => {
    const schemaId = req.query.get('SchemaId');
    const all = types.filter((x) => !schemaId || x.schemaId === schemaId);
    return paged(
      req,
      all.map((x) => typeJson(req, x)),
      'types',
      (x) => x.type,
    );
  });

  router.get('/v1/Types/{Type}', (req) => {
    const found = types.find((x) => x.type === req.params.Type);
    if (!found) throw notFound(req.path);
    return { status: 200, body: typeJson(req, found) };
  });
};

function checkConfiguration(type: EmuSinkType, c: Record<string, unknown>): void {
  const need = (key: string) => {
    if (typeof c[key] !== 'string' || !c[key]) throw invalid(`SinkConfiguration for a ${type} Sink needs "${key}"`);
  };
  if (type === 'webhook') {
    need('destination');
    try {
      const url = new URL(String(c.destination));
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    } catch {
      throw invalid(`SinkConfiguration destination ${String(c.destination)} is not a valid URL`);
    }
    if (c.method !== undefined && c.method !== 'POST' && c.method !== 'GET')
      throw invalid('SinkConfiguration method must be POST or GET');
    if (c.batch_events !== undefined && typeof c.batch_events !== 'boolean')
      throw invalid('SinkConfiguration batch_events must be a boolean');
  } else if (type === 'kinesis') {
    need('arn');
    need('role_arn');
    need('external_id');
  } else if (type === 'segment') {
    need('write_key');
  }
}

function cloudEvent(state: EmulatorState, type: string, schema: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    type,
    source: `/2010-04-01/Accounts/${state.accountSid}`,
    id: `EZ${randomHex(16)}`,
    dataschema: `https://events-schemas.twilio.com/${schema}`,
    datacontenttype: 'application/json',
    time: state.now().toISOString(),
    data,
  };
}

/**
 * POSTs events to a webhook sink whose destination is on 127.0.0.1, signed as Twilio signs JSON
 * webhooks. Anything else is recorded as skipped: the emulator never contacts another address.
 */
async function deliver(state: EmulatorState, sink: SinkRecord, events: CloudEvent[]): Promise<Delivery> {
  const body = JSON.stringify(events);
  const destination = String(sink.configuration.destination ?? '');
  const delivery: Delivery = { sinkSid: sink.sid, url: destination, events, body, headers: {} };
  state.events.deliveries.push(delivery);
  if (sink.sinkType !== 'webhook') {
    delivery.skipped = `${sink.sinkType} sinks are not delivered by the emulator`;
    return delivery;
  }
  let url: URL;
  try {
    url = new URL(destination);
  } catch {
    delivery.skipped = 'destination is not a URL';
    return delivery;
  }
  if (url.hostname !== '127.0.0.1') {
    delivery.skipped = 'destination is not on 127.0.0.1';
    return delivery;
  }
  if (sink.configuration.method === 'GET') {
    delivery.skipped = 'GET webhook sinks are not delivered by the emulator';
    return delivery;
  }
  const { getExpectedBodyHash, getExpectedTwilioSignature } = await import('twilio/lib/webhooks/webhooks.js');
  url.searchParams.append('bodySHA256', getExpectedBodyHash(body));
  delivery.url = url.toString();
  delivery.headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Twilio-Event-Streams/1.0 (twhook emulator)',
    'X-Twilio-Signature': getExpectedTwilioSignature(state.authToken, delivery.url, {}),
    'I-Twilio-Idempotency-Token': randomHex(16),
  };
  await new Promise<void>((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...delivery.headers, 'Content-Length': String(Buffer.byteLength(body)) },
        timeout: DELIVERY_TIMEOUT_MS,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        delivery.status = res.statusCode;
        res.resume();
        res.on('end', resolve);
        res.on('error', resolve);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
    req.on('error', (err) => {
      delivery.error = (err as NodeJS.ErrnoException).code ?? err.message;
      resolve();
    });
    req.end(body);
  });
  return delivery;
}
