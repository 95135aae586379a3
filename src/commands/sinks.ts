import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { CancelError, RemoteError, UsageError } from '../errors.js';
import { explainSinkCreateFailure, explained, inactiveSinkMessage } from '../eventstreams/explain.js';
import {
  apiIsLocal,
  checkSinkSid,
  guardSecrets,
  isNotFound,
  orNotFound,
  plural,
  sinkJson,
  typesCell,
  warnUnreadTypes,
  withTypes,
  type SinkJson,
  type SubscriptionJson,
} from '../eventstreams/present.js';
import { formatSelection, parseTypeSelections } from '../eventstreams/selection.js';
import {
  buildSink,
  checkDestination,
  checkExternalId,
  checkKinesisArn,
  checkRoleArn,
  checkWriteKey,
  describeDestination,
  sinkTypeLabel,
  type CreatableSinkType,
  type SinkOptions,
} from '../eventstreams/sink-config.js';
import type { EventsApi, EventType, EventTypeSelection, Sink } from '../twilio/eventstreams.js';
import type { Choice } from '../ui/prompter.js';
import { Journal, newBatchId } from '../state/journal.js';
import { mayStillApply } from '../state/number-change.js';
import { createSubscription } from '../eventstreams/subscriptions.js';
import { collect } from './shared/collect.js';

export interface SinkCreateOptions extends SinkOptions {
  subscribe?: string[];
  test?: boolean;
}

/** The options that describe a sink: with none of them on a terminal, `create` asks. */
const SINK_OPTION_KEYS: (keyof SinkCreateOptions)[] = [
  'type',
  'destination',
  'method',
  'batch',
  'arn',
  'roleArn',
  'externalId',
  'writeKey',
  'description',
  'subscribe',
  'test',
];

export function register(cmd: Command, wire: Wire): void {
  cmd.description('Event Streams sinks: where Twilio delivers subscribed events (webhook, Kinesis, Segment)');
  cmd
    .command('create')
    .description('create a sink (asks on a terminal when given no options)')
    .option('--type <type>', 'webhook, kinesis or segment')
    .option('--destination <url>', 'webhook: the https:// URL Twilio POSTs events to')
    .option('--method <method>', 'webhook: POST (default) or GET')
    .option('--batch', 'webhook: deliver events in batches (an array of several) instead of one per request')
    .option('--arn <arn>', 'kinesis: the stream ARN, arn:aws:kinesis:REGION:ACCOUNT:stream/NAME')
    .option('--role-arn <arn>', 'kinesis: the IAM role Twilio assumes, arn:aws:iam::ACCOUNT:role/NAME')
    .option('--external-id <id>', "kinesis: the external ID in that role's trust policy")
    .option('--write-key <key>', 'segment: the write key of the Segment source (a secret: never printed)')
    .option('--description <text>', 'a description (no personal data: Twilio asks for none)')
    .option(
      '--subscribe <type[@version]>',
      'also subscribe the sink to this event type (repeat, or comma-separate)',
      collect,
    )
    .option('--test', 'ask Twilio to send the sink its test event, and report the sink status')
    .addHelpText(
      'after',
      `
Examples:
  $ twhook sinks create --type webhook --destination https://example.com/events --subscribe com.twilio.messaging.message.delivered --test
  $ twhook sinks create --type kinesis --arn arn:aws:kinesis:us-east-1:123456789012:stream/twilio --role-arn arn:aws:iam::123456789012:role/twilio-events --external-id 7f3a9c
  $ twhook sinks create --type segment --write-key "$SEGMENT_WRITE_KEY"
  $ twhook sinks create          # on a terminal: asks for the type, destination and event types
`,
    )
    .action(wire(async (ctx: Ctx, opts: SinkCreateOptions) => runSinkCreate(ctx, opts)));

  cmd
    .command('list')
    .description('list sinks with their status and subscriptions')
    .addHelpText('after', '\nExamples:\n  $ twhook sinks list\n  $ twhook sinks list --json\n')
    .action(wire(async (ctx: Ctx) => runSinkList(ctx)));

  cmd
    .command('show <sid>')
    .description('one sink, its configuration and its subscriptions')
    .addHelpText('after', '\nExamples:\n  $ twhook sinks show DG0123…\n')
    .action(wire(async (ctx: Ctx, sid: string) => runSinkShow(ctx, sid)));

  cmd
    .command('delete <sid>')
    .description('delete a sink')
    .option('--with-subscriptions', 'also delete the subscriptions that still send to it')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  $ twhook sinks delete DG0123… --with-subscriptions --yes\n')
    .action(wire(async (ctx: Ctx, sid: string, opts: SinkDeleteOptions) => runSinkDelete(ctx, sid, opts)));

  cmd
    .command('test <sid>')
    .description("ask Twilio to send the sink's test event, and show its status")
    .addHelpText('after', '\nExamples:\n  $ twhook sinks test DG0123…\n')
    .action(wire(async (ctx: Ctx, sid: string) => runSinkTest(ctx, sid)));

  cmd
    .command('validate <sid>')
    .description('activate a sink with the test_id its test event carried (Kinesis and Segment sinks start inactive)')
    .option('--test-id <id>', 'the test_id from the test event')
    .addHelpText('after', '\nExamples:\n  $ twhook sinks validate DG0123… --test-id TE0123…\n')
    .action(wire(async (ctx: Ctx, sid: string, opts: { testId?: string }) => runSinkValidate(ctx, sid, opts)));

  cmd.addHelpText(
    'after',
    '\nExamples:\n  $ twhook sinks create --type webhook --destination https://example.com/events --subscribe com.twilio.messaging.message.delivered\n',
  );
}

// --- create ------------------------------------------------------------------------------------

export interface SinkCreateResult {
  sink: SinkJson;
  subscription: SubscriptionJson | null;
  test: { result: string; status: string } | null;
}

export async function runSinkCreate(ctx: Ctx, given: SinkCreateOptions): Promise<void> {
  const noOptions = SINK_OPTION_KEYS.every((k) => given[k] === undefined);
  if (noOptions && !ctx.canPrompt) {
    const ask = ctx.out.json ? 'or run it without --json to be asked' : 'or run it on a terminal to be asked';
    throw new UsageError(
      `pass --type webhook --destination URL (or kinesis, segment: see \`twhook sinks create --help\`), ${ask}`,
    );
  }
  const opts = noOptions ? await askSinkOptions(ctx) : given;
  const check = { allowLocalDestinations: apiIsLocal(ctx) };
  // Every shape is checked before the first call.
  const newSink = buildSink(opts, check);
  const subscribe = parseTypeSelections(opts.subscribe ?? []);
  guardSecrets(ctx, [newSink]);
  if (subscribe.length && newSink.sinkType === 'kinesis') {
    throw new UsageError(
      'a Kinesis sink starts inactive and Twilio subscribes only active sinks: create it without --subscribe, then `twhook sinks test DG…`, ' +
        '`twhook sinks validate DG… --test-id ID` (the test_id is in the record written to your stream), then `twhook subscriptions create`',
    );
  }

  const port = await ctx.twilio();
  const { events } = port;
  // The sinks there before: when the create gets no clear answer, a new sink with its
  // description is the one it made.
  const existing = new Set((await events.sinks.list()).map((s) => s.sid));
  let sink: Sink;
  try {
    sink = await events.sinks.create(newSink);
  } catch (err) {
    sink = await sinkCreatedAnyway(ctx, port.accountSid, events, err, newSink.description, existing);
  }
  guardSecrets(ctx, [sink]);
  const result: SinkCreateResult = { sink: sinkJson(sink), subscription: null, test: null };
  if (subscribe.length) {
    try {
      result.subscription = await createSubscription(events, {
        sinkSid: sink.sid,
        types: subscribe,
        description: opts.description,
      });
    } catch (err) {
      throw await withoutNewSink(events, sink, err);
    }
    warnUnreadTypes(ctx, [result.subscription]);
  }
  // Only once the sink stays: a refused --subscribe deletes it again, and says so in its one error line.
  ctx.out.note(
    `created ${sinkTypeLabel(sink.sinkType)} sink ${sink.sid} (${sink.status}): ${describeDestination(sink)}`,
  );
  if (opts.test) {
    const test = await events.sinks.test(sink.sid);
    const after = await events.sinks.fetch(sink.sid);
    result.test = { result: test.result, status: after.status };
    result.sink = sinkJson(after);
  }

  ctx.out.result(result, () => {
    if (!ctx.io.isStdoutTTY) {
      // Piped: the SIDs alone, one a line, for `SINK=$(twhook sinks create ...)`.
      ctx.out.print(result.sink.sid);
      if (result.subscription) ctx.out.print(result.subscription.sid);
      return;
    }
    const c = ctx.out.c;
    ctx.out.print(
      `${c.green('✓')} ${sinkTypeLabel(sink.sinkType)} sink ${c.bold(result.sink.sid)} (${result.sink.status}): ${result.sink.destination}`,
    );
    if (result.subscription) {
      ctx.out.print(
        `${c.green('✓')} subscription ${c.bold(result.subscription.sid)}: ${typesCell(result.subscription.types, result.subscription.typesError)}`,
      );
    }
    if (result.test)
      ctx.out.print(`${c.green('✓')} test event ${result.test.result}; sink status: ${result.test.status}`);
  });
  if (result.sink.status !== 'active') ctx.out.note(nextStepsForInactive(sink));
}

/**
 * After a failed create. A refusal (4xx) created nothing. Otherwise (5xx, a closed connection, a
 * timeout) Twilio may have created the sink all the same: a new sink with its description is
 * taken as created; none after an answer means nothing was; none after a timeout may still come,
 * so it is journaled for `twhook restore`, which deletes it if it does.
 */
async function sinkCreatedAnyway(
  ctx: Ctx,
  accountSid: string,
  events: EventsApi,
  err: unknown,
  description: string,
  existing: Set<string>,
): Promise<Sink> {
  if (!(err instanceof RemoteError)) throw err;
  const status = err.info.status ?? 0;
  if (status < 400 || status >= 500) {
    let found: Sink | undefined;
    let looked = false;
    try {
      found = (await events.sinks.list()).find((s) => !existing.has(s.sid) && s.description === description);
      looked = true;
    } catch {
      /* still unknown */
    }
    if (found) {
      ctx.out.warn(`Twilio answered the create with an error (${err.message}), but it created sink ${found.sid}`);
      return found;
    }
    if (mayStillApply(err) || !looked) {
      const journal = new Journal(ctx.configDir, { now: () => ctx.clock.now() });
      journal.begin({
        kind: 'event-sink',
        accountSid,
        origin: 'configure',
        batch: newBatchId(),
        description,
        timedOut: mayStillApply(err),
        details: { existingSids: [...existing] },
        note: `outcome unknown: ${err.message}`.slice(0, 300),
      });
      throw explained(
        err,
        `${err.message}; Twilio may have created the sink all the same: run \`twhook restore\` to delete it if it did (\`twhook sinks list\` shows it)`,
      );
    }
  }
  const explainedErr = await explainSinkCreateFailure(err, events);
  throw explainedErr instanceof RemoteError
    ? explained(explainedErr, `${explainedErr.message}; nothing was created`)
    : explainedErr;
}

/**
 * The subscription failed: delete the new sink (and a subscription Twilio made anyway), so the
 * account is as before and running the same command again creates no second sink.
 */
async function withoutNewSink(events: EventsApi, sink: Sink, err: unknown): Promise<unknown> {
  const reason = err instanceof Error ? err.message : String(err);
  try {
    for (const sub of await events.subscriptions.list({ sinkSid: sink.sid }))
      await events.subscriptions.remove(sub.sid);
    await events.sinks.remove(sink.sid);
  } catch (undo) {
    return new RemoteError(
      `sink ${sink.sid} was created, but not its subscription (${reason}), and deleting the sink again failed (${(undo as Error).message}): \`twhook sinks delete ${sink.sid} --with-subscriptions --yes\` removes it`,
      err instanceof RemoteError ? err.info : {},
      { cause: err },
    );
  }
  if (!(err instanceof RemoteError)) return err;
  return explained(
    err,
    `could not subscribe the new sink: ${reason}; deleted sink ${sink.sid} again, nothing was created`,
  );
}

function nextStepsForInactive(sink: Pick<Sink, 'sid' | 'sinkType' | 'status'>): string {
  return `Next: ${inactiveSinkMessage({ ...sink })}`.replace(
    ', and Twilio only subscribes active sinks',
    ' (Twilio only subscribes active sinks)',
  );
}

const DONE = '\u0000done';

/** The interactive path: sink type, its destination, then event types picked one by one with search. */
export async function askSinkOptions(ctx: Ctx): Promise<SinkCreateOptions> {
  const p = ctx.prompter;
  const type = await p.select<CreatableSinkType>({
    message: 'Sink type',
    choices: [
      { name: 'webhook', value: 'webhook', description: 'Twilio POSTs events to an https:// URL' },
      { name: 'kinesis', value: 'kinesis', description: 'Twilio writes events to an Amazon Kinesis stream' },
      { name: 'segment', value: 'segment', description: 'Twilio sends events to a Segment source' },
    ],
  });
  const asValidator =
    (check: (v: string) => unknown) =>
    (value: string): true | string => {
      try {
        check(value.trim());
        return true;
      } catch (err) {
        return (err as Error).message;
      }
    };
  const opts: SinkCreateOptions = { type };
  if (type === 'webhook') {
    const check = { allowLocalDestinations: apiIsLocal(ctx) };
    opts.destination = (
      await p.input({
        message: 'Destination URL (https://…)',
        validate: asValidator((v) => checkDestination(v, check)),
      })
    ).trim();
  } else if (type === 'kinesis') {
    opts.arn = (await p.input({ message: 'Kinesis stream ARN', validate: asValidator(checkKinesisArn) })).trim();
    opts.roleArn = (
      await p.input({ message: 'IAM role ARN Twilio assumes', validate: asValidator(checkRoleArn) })
    ).trim();
    opts.externalId = (
      await p.input({ message: "External ID (from the role's trust policy)", validate: asValidator(checkExternalId) })
    ).trim();
  } else {
    if (!p.password) throw new UsageError('pass the Segment write key with --write-key KEY');
    opts.writeKey = (await p.password({ message: 'Segment write key', validate: asValidator(checkWriteKey) })).trim();
    ctx.out.redactor.add(opts.writeKey);
  }
  if (type === 'kinesis') {
    ctx.out.note(
      'a Kinesis sink starts inactive: subscribe it once it is validated (`twhook sinks test`, `twhook sinks validate`)',
    );
  } else {
    const { events } = await ctx.twilio();
    const selected = await pickEventTypes(ctx, await events.eventTypes.list());
    if (selected.length) opts.subscribe = selected.map(formatSelection);
  }
  const summary = `${type} sink${opts.destination ? ` to ${opts.destination}` : ''}${opts.subscribe ? ` subscribed to ${plural(opts.subscribe.length, 'event type')}` : ''}`;
  if (!(await p.confirm({ message: `Create the ${summary}?`, default: true })))
    throw new CancelError('nothing created');
  return opts;
}

/** Repeated searches over the catalogue; "Done" ends (and "No subscription" skips) the list. */
export async function pickEventTypes(ctx: Ctx, catalogue: EventType[]): Promise<EventTypeSelection[]> {
  const chosen: string[] = [];
  const usable = catalogue.filter((t) => t.status !== 'discontinued');
  for (let round = 0; round < usable.length; round++) {
    const picked = await ctx.prompter.search<string>({
      message: chosen.length
        ? `Another event type (${chosen.length} chosen; pick Done to finish)`
        : 'Event types to subscribe (type to search)',
      source: (term) => {
        const words = (term ?? '').toLowerCase().split(/\s+/).filter(Boolean);
        const matches = usable.filter(
          (t) =>
            !chosen.includes(t.type) &&
            words.every((w) => `${t.type} ${t.description ?? ''}`.toLowerCase().includes(w)),
        );
        const done: Choice<string> = chosen.length
          ? { name: `Done (${plural(chosen.length, 'type')})`, value: DONE }
          : { name: 'No subscription for now', value: DONE };
        return [
          done,
          ...matches.map((t) => ({
            name: t.type,
            value: t.type,
            description: [t.description, t.status !== 'available' ? t.status : ''].filter(Boolean).join(' · '),
          })),
        ];
      },
    });
    if (picked === DONE) break;
    chosen.push(picked);
  }
  return chosen.map((type) => ({ type }));
}

// --- list, show ----------------------------------------------------------------------------------

interface SinkRow extends SinkJson {
  subscriptions: number;
}

export async function runSinkList(ctx: Ctx): Promise<void> {
  const { events } = await ctx.twilio();
  const [sinks, subs] = await Promise.all([events.sinks.list(), events.subscriptions.list()]);
  guardSecrets(ctx, sinks);
  const rows: SinkRow[] = sinks.map((s) => ({
    ...sinkJson(s),
    subscriptions: subs.filter((x) => x.sinkSid === s.sid).length,
  }));
  ctx.out.result({ sinks: rows }, () => {
    if (!rows.length) {
      ctx.out.note('no sinks on this account: `twhook sinks create --type webhook --destination https://…`');
      return;
    }
    ctx.out.table(
      [
        { header: 'SID', value: (s: SinkRow) => s.sid },
        { header: 'TYPE', value: (s) => s.type },
        {
          header: 'STATUS',
          value: (s) => (ctx.io.isStdoutTTY && s.status !== 'active' ? ctx.out.c.yellow(s.status) : s.status),
        },
        { header: 'SUBS', value: (s) => String(s.subscriptions) },
        { header: 'DESTINATION', value: (s) => s.destination },
        { header: 'DESCRIPTION', value: (s) => s.description },
      ],
      rows,
    );
  });
}

async function fetchSink(events: EventsApi, sid: string): Promise<Sink> {
  return orNotFound(() => events.sinks.fetch(sid), `no sink ${sid} on this account (see \`twhook sinks list\`)`);
}

export async function runSinkShow(ctx: Ctx, sid: string): Promise<void> {
  checkSinkSid(sid);
  const { events } = await ctx.twilio();
  const sink = await fetchSink(events, sid);
  guardSecrets(ctx, [sink]);
  const subscriptions = await withTypes(events, await events.subscriptions.list({ sinkSid: sid }));
  warnUnreadTypes(ctx, subscriptions);
  const json = sinkJson(sink);
  ctx.out.result({ sink: json, subscriptions }, () => {
    ctx.out.print(`${ctx.out.c.bold(json.sid)}  ${json.description}`);
    ctx.out.print(`  type         ${json.type}`);
    ctx.out.print(`  status       ${json.status}`);
    ctx.out.print(`  destination  ${json.destination}`);
    for (const [key, value] of Object.entries(json.configuration))
      ctx.out.print(`    ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    if (json.dateCreated) ctx.out.print(`  created      ${json.dateCreated}`);
    ctx.out.print(`  subscriptions${subscriptions.length ? '' : '  (none)'}`);
    for (const s of subscriptions) ctx.out.print(`    ${s.sid}  ${typesCell(s.types, s.typesError)}`);
    if (json.status !== 'active') ctx.out.note(nextStepsForInactive(sink));
  });
}

// --- delete --------------------------------------------------------------------------------------

export interface SinkDeleteOptions {
  withSubscriptions?: boolean;
  yes?: boolean;
}

export async function runSinkDelete(ctx: Ctx, sid: string, opts: SinkDeleteOptions): Promise<void> {
  checkSinkSid(sid);
  const { events } = await ctx.twilio();
  const sink = await fetchSink(events, sid);
  guardSecrets(ctx, [sink]);
  const subs = await events.subscriptions.list({ sinkSid: sid });
  let withSubscriptions = !!opts.withSubscriptions;
  const what = `${sinkTypeLabel(sink.sinkType)} sink ${sid} (${describeDestination(sink)})`;
  if (subs.length && !withSubscriptions) {
    const list = subs.map((s) => s.sid).join(', ');
    if (!ctx.canPrompt || opts.yes) {
      throw new UsageError(
        `sink ${sid} still has ${plural(subs.length, 'subscription')} (${list}), and Twilio deletes no sink in use: pass --with-subscriptions to delete ${subs.length === 1 ? 'it' : 'them'} too, or \`twhook subscriptions delete\` first`,
      );
    }
    ctx.out.note(`sink ${sid} still has ${plural(subs.length, 'subscription')}: ${list}`);
    withSubscriptions = await ctx.prompter.confirm({
      message: `Delete the ${plural(subs.length, 'subscription')} and the ${what}?`,
      default: false,
    });
    if (!withSubscriptions) throw new CancelError('nothing deleted');
  } else if (!opts.yes) {
    // As configure and restore: off a terminal nothing is changed unasked.
    if (!ctx.canPrompt) throw new UsageError(`pass --yes to delete the ${what} without confirmation`);
    const extra = subs.length ? ` and its ${plural(subs.length, 'subscription')}` : '';
    if (!(await ctx.prompter.confirm({ message: `Delete the ${what}${extra}?`, default: false })))
      throw new CancelError('nothing deleted');
  }
  const deletedSubs: string[] = [];
  for (const sub of subs) {
    try {
      await events.subscriptions.remove(sub.sid);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    deletedSubs.push(sub.sid);
  }
  await orNotFound(() => events.sinks.remove(sid), `sink ${sid} is already gone`);
  ctx.out.result({ deleted: { sinks: [sid], subscriptions: deletedSubs } }, () =>
    ctx.out.print(
      `deleted ${what}${deletedSubs.length ? ` and ${plural(deletedSubs.length, 'subscription')} (${deletedSubs.join(', ')})` : ''}`,
    ),
  );
}

// --- test, validate ------------------------------------------------------------------------------

export async function runSinkTest(ctx: Ctx, sid: string): Promise<void> {
  checkSinkSid(sid);
  const { events } = await ctx.twilio();
  const test = await orNotFound(
    () => events.sinks.test(sid),
    `no sink ${sid} on this account (see \`twhook sinks list\`)`,
  );
  const sink = await fetchSink(events, sid);
  guardSecrets(ctx, [sink]);
  ctx.out.result({ sid, result: test.result, status: sink.status, sink: sinkJson(sink) }, () => {
    ctx.out.print(
      `test event ${test.result} to ${sinkTypeLabel(sink.sinkType)} sink ${sid} (${describeDestination(sink)}); status: ${sink.status}`,
    );
    if (sink.status !== 'active') {
      ctx.out.note(
        `once it arrives, activate the sink with its test_id: \`twhook sinks validate ${sid} --test-id ID\``,
      );
    } else if (sink.sinkType === 'webhook') {
      ctx.out.note('the test event is a JSON array with one CloudEvent of type com.twilio.eventstreams.test-event');
    }
  });
}

export async function runSinkValidate(ctx: Ctx, sid: string, opts: { testId?: string }): Promise<void> {
  checkSinkSid(sid);
  const testId = opts.testId?.trim();
  if (!testId)
    throw new UsageError(`pass --test-id ID: the test_id in the test event \`twhook sinks test ${sid}\` sends`);
  const { events } = await ctx.twilio();
  const before = await fetchSink(events, sid);
  let result: { result: string };
  try {
    result = await events.sinks.validate(sid, testId);
  } catch (err) {
    if (err instanceof RemoteError && err.info.status === 400) {
      throw explained(
        err,
        `Twilio refused test_id ${testId} for sink ${sid}: it is not the test_id of the sink's latest test event (each \`twhook sinks test\` replaces the previous one)`,
      );
    }
    throw err;
  }
  const after = await fetchSink(events, sid);
  guardSecrets(ctx, [after]);
  ctx.out.result({ sid, result: result.result, status: after.status, previousStatus: before.status }, () =>
    ctx.out.print(`sink ${sid} ${result.result}: status ${before.status} → ${after.status}`),
  );
}
