import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { CancelError, UsageError } from '../errors.js';
import { explainAddTypesFailure } from '../eventstreams/explain.js';
import { createSubscription } from '../eventstreams/subscriptions.js';
import {
  checkSinkSid,
  checkSubscriptionSid,
  orNotFound,
  plural,
  readTypes,
  subscriptionJson,
  typesCell,
  warnUnreadTypes,
  withTypes,
  type SubscriptionJson,
} from '../eventstreams/present.js';
import { formatSelection, parseTypeSelections } from '../eventstreams/selection.js';
import type { EventsApi, Subscription } from '../twilio/eventstreams.js';
import { collect } from './shared/collect.js';

export interface SubscriptionCreateOptions {
  sink?: string;
  type?: string[];
  description?: string;
}

export function register(cmd: Command, wire: Wire): void {
  cmd.description('Event Streams subscriptions: which event types go to which sink');
  cmd
    .command('create')
    .description('subscribe a sink to event types')
    .option('--sink <sid>', 'the sink (DG…) that receives the events (required)')
    .option('--type <type[@version]>', 'an event type, optionally @SCHEMA_VERSION (repeat, or comma-separate)', collect)
    .option('--description <text>', 'a description (no personal data: Twilio asks for none)')
    .addHelpText(
      'after',
      `
Examples:
  $ twhook subscriptions create --sink DG0123… --type com.twilio.messaging.message.delivered@3 --type com.twilio.messaging.message.failed
`,
    )
    .action(wire(async (ctx: Ctx, opts: SubscriptionCreateOptions) => runSubscriptionCreate(ctx, opts)));

  cmd
    .command('list')
    .description('list subscriptions and their event types')
    .option('--sink <sid>', 'only the subscriptions of this sink')
    .addHelpText('after', '\nExamples:\n  $ twhook subscriptions list --sink DG0123…\n')
    .action(wire(async (ctx: Ctx, opts: { sink?: string }) => runSubscriptionList(ctx, opts)));

  cmd
    .command('show <sid>')
    .description('one subscription and its event types')
    .addHelpText('after', '\nExamples:\n  $ twhook subscriptions show DF0123…\n')
    .action(wire(async (ctx: Ctx, sid: string) => runSubscriptionShow(ctx, sid)));

  cmd
    .command('delete <sid>')
    .description('delete a subscription (its sink stays)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  $ twhook subscriptions delete DF0123… --yes\n')
    .action(wire(async (ctx: Ctx, sid: string, opts: { yes?: boolean }) => runSubscriptionDelete(ctx, sid, opts)));

  cmd
    .command('add-types <sid> <types...>')
    .description('add event types to a subscription (or change their schema version)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ twhook subscriptions add-types DF0123… com.twilio.messaging.message.undelivered com.twilio.messaging.message.sent@2\n',
    )
    .action(wire(async (ctx: Ctx, sid: string, types: string[]) => runSubscriptionAddTypes(ctx, sid, types)));

  cmd
    .command('remove-types <sid> <types...>')
    .description('remove event types from a subscription')
    .addHelpText(
      'after',
      '\nExamples:\n  $ twhook subscriptions remove-types DF0123… com.twilio.messaging.message.sent\n',
    )
    .action(wire(async (ctx: Ctx, sid: string, types: string[]) => runSubscriptionRemoveTypes(ctx, sid, types)));

  cmd.addHelpText(
    'after',
    '\nExamples:\n  $ twhook subscriptions create --sink DG0123… --type com.twilio.messaging.message.delivered\n',
  );
}

export function printSubscription(ctx: Ctx, sub: SubscriptionJson): void {
  ctx.out.print(`${ctx.out.c.bold(sub.sid)}  ${sub.description}`);
  ctx.out.print(`  sink     ${sub.sinkSid}`);
  if (sub.dateCreated) ctx.out.print(`  created  ${sub.dateCreated}`);
  ctx.out.print(sub.typesError ? '  types    (could not be read)' : sub.types.length ? '  types' : '  types    (none)');
  for (const t of sub.types) ctx.out.print(`    ${t.type} (schema v${t.schemaVersion})`);
}

export async function runSubscriptionCreate(ctx: Ctx, opts: SubscriptionCreateOptions): Promise<void> {
  if (!opts.sink)
    throw new UsageError('pass --sink DG… (the sink that receives the events; `twhook sinks list` shows them)');
  const sinkSid = checkSinkSid(opts.sink);
  const types = parseTypeSelections(opts.type ?? []);
  if (!types.length) throw new UsageError('pass at least one --type (see `twhook event-types list`)');
  if (opts.description !== undefined && !opts.description.trim())
    throw new UsageError('--description must not be empty');
  const { events } = await ctx.twilio();
  const sub = await createSubscription(events, { sinkSid, types, description: opts.description });
  warnUnreadTypes(ctx, [sub]);
  ctx.out.result({ subscription: sub }, () => {
    if (!ctx.io.isStdoutTTY) return ctx.out.print(sub.sid);
    const what = sub.typesError ? plural(types.length, 'event type') : plural(sub.types.length, 'event type');
    ctx.out.print(`${ctx.out.c.green('✓')} subscribed sink ${sinkSid} to ${what}: ${sub.sid}`);
    for (const t of sub.types) ctx.out.print(`  ${t.type} (schema v${t.schemaVersion})`);
  });
}

export async function runSubscriptionList(ctx: Ctx, opts: { sink?: string }): Promise<void> {
  const sinkSid = opts.sink === undefined ? undefined : checkSinkSid(opts.sink);
  const { events } = await ctx.twilio();
  const subs = await withTypes(events, await events.subscriptions.list(sinkSid ? { sinkSid } : {}));
  warnUnreadTypes(ctx, subs);
  ctx.out.result({ subscriptions: subs }, () => {
    if (!subs.length) {
      ctx.out.note(
        sinkSid
          ? `sink ${sinkSid} has no subscriptions`
          : 'no subscriptions on this account: `twhook subscriptions create --sink DG… --type TYPE`',
      );
      return;
    }
    ctx.out.table(
      [
        { header: 'SID', value: (s: SubscriptionJson) => s.sid },
        { header: 'SINK', value: (s) => s.sinkSid },
        { header: 'TYPES', value: (s) => typesCell(s.types, s.typesError) },
        { header: 'DESCRIPTION', value: (s) => s.description },
      ],
      subs,
    );
  });
}

function fetchSubscription(events: EventsApi, sid: string): Promise<Subscription> {
  return orNotFound(
    () => events.subscriptions.fetch(sid),
    `no subscription ${sid} on this account (see \`twhook subscriptions list\`)`,
  );
}

/** The subscription (required) with its types (optional: `typesError` when they cannot be read). */
async function fetchWithTypes(events: EventsApi, sid: string): Promise<SubscriptionJson> {
  return readTypes(events, await fetchSubscription(events, sid));
}

export async function runSubscriptionShow(ctx: Ctx, sid: string): Promise<void> {
  checkSubscriptionSid(sid);
  const { events } = await ctx.twilio();
  const sub = await fetchWithTypes(events, sid);
  warnUnreadTypes(ctx, [sub]);
  ctx.out.result({ subscription: sub }, () => printSubscription(ctx, sub));
}

export async function runSubscriptionDelete(ctx: Ctx, sid: string, opts: { yes?: boolean }): Promise<void> {
  checkSubscriptionSid(sid);
  const { events } = await ctx.twilio();
  const sub = await fetchSubscription(events, sid);
  if (!opts.yes) {
    // As configure and restore: off a terminal nothing is changed unasked.
    if (!ctx.canPrompt) throw new UsageError(`pass --yes to delete subscription ${sid} without confirmation`);
    // The types only make the question clearer: without them it is asked all the same.
    const withTypes = await readTypes(events, sub);
    const what = withTypes.typesError ? '' : `${plural(withTypes.types.length, 'type')} `;
    const ok = await ctx.prompter.confirm({
      message: `Delete subscription ${sid} (${what}to sink ${sub.sinkSid})?`,
      default: false,
    });
    if (!ok) throw new CancelError('nothing deleted');
  }
  await orNotFound(() => events.subscriptions.remove(sid), `subscription ${sid} is already gone`);
  ctx.out.result({ deleted: { subscriptions: [sid] } }, () => ctx.out.print(`deleted subscription ${sid}`));
}

export async function runSubscriptionAddTypes(ctx: Ctx, sid: string, values: string[]): Promise<void> {
  checkSubscriptionSid(sid);
  const types = parseTypeSelections(values);
  if (!types.length) throw new UsageError('name at least one event type to add');
  const { events } = await ctx.twilio();
  await orNotFound(
    () => events.subscriptions.fetch(sid),
    `no subscription ${sid} on this account (see \`twhook subscriptions list\`)`,
  );
  for (const selection of types) {
    try {
      await events.subscribedEvents.add(sid, selection);
    } catch (err) {
      throw await explainAddTypesFailure(err, events, [selection]);
    }
  }
  const sub = await fetchWithTypes(events, sid);
  warnUnreadTypes(ctx, [sub]);
  ctx.out.result({ subscription: sub }, () => {
    ctx.out.note(`added ${types.map(formatSelection).join(', ')} to ${sid}`);
    printSubscription(ctx, sub);
  });
}

export async function runSubscriptionRemoveTypes(ctx: Ctx, sid: string, values: string[]): Promise<void> {
  checkSubscriptionSid(sid);
  const wanted = parseTypeSelections(values).map((t) => t.type);
  if (!wanted.length) throw new UsageError('name at least one event type to remove');
  const { events } = await ctx.twilio();
  // Here the types are needed: which to remove, and that one stays.
  const current = subscriptionJson(await fetchSubscription(events, sid), await events.subscribedEvents.list(sid));
  const have = new Set(current.types.map((t) => t.type));
  const absent = wanted.filter((t) => !have.has(t));
  if (absent.length) {
    throw new UsageError(
      `${sid} is not subscribed to ${absent.join(', ')}; it has ${[...have].join(', ') || 'no types'}`,
    );
  }
  if (wanted.length >= have.size) {
    throw new UsageError(
      `that would leave ${sid} with no event types, which Twilio does not allow: delete the subscription instead (\`twhook subscriptions delete ${sid}\`)`,
    );
  }
  for (const type of wanted) await events.subscribedEvents.remove(sid, type);
  const sub = await fetchWithTypes(events, sid);
  warnUnreadTypes(ctx, [sub]);
  ctx.out.result({ subscription: sub }, () => {
    ctx.out.note(`removed ${wanted.join(', ')} from ${sid}`);
    printSubscription(ctx, sub);
  });
}
