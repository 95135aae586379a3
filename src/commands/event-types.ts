import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { eventTypeJson, plural } from '../eventstreams/present.js';
import type { EventType } from '../twilio/eventstreams.js';

export interface EventTypesListOptions {
  filter?: string;
}

export function register(cmd: Command, wire: Wire): void {
  cmd.description('the Event Streams catalogue: every event type you can subscribe a sink to');
  cmd
    .command('list')
    .description('list event types (all pages of /v1/Types)')
    .option('--filter <text>', 'only types whose name, schema or description contains every word of TEXT')
    .addHelpText(
      'after',
      `
Examples:
  $ twhook event-types list --filter "message delivered"
  $ twhook event-types list --filter studio --json
`,
    )
    .action(wire(async (ctx: Ctx, opts: EventTypesListOptions) => runEventTypesList(ctx, opts)));
  cmd.addHelpText('after', '\nExamples:\n  $ twhook event-types list --filter messaging\n');
}

/** Case-insensitive: every whitespace-separated word must appear in the type, schema or description. */
export function filterEventTypes(types: EventType[], filter: string | undefined): EventType[] {
  const words = (filter ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return types;
  return types.filter((t) => {
    const text = `${t.type} ${t.schemaId ?? ''} ${t.description ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export async function runEventTypesList(ctx: Ctx, opts: EventTypesListOptions): Promise<void> {
  const { events } = await ctx.twilio();
  const all = await events.eventTypes.list();
  const shown = filterEventTypes(all, opts.filter);
  ctx.out.result({ types: shown.map(eventTypeJson) }, () => {
    if (!shown.length) {
      ctx.out.note(
        opts.filter ? `no event type matches "${opts.filter}" (of ${all.length})` : 'Twilio lists no event types',
      );
      return;
    }
    ctx.out.table(
      [
        { header: 'TYPE', value: (t: EventType) => t.type },
        { header: 'SCHEMA', value: (t) => t.schemaId ?? '' },
        { header: 'STATUS', value: (t) => t.status ?? '' },
        { header: 'DESCRIPTION', value: (t) => t.description ?? '' },
      ],
      shown,
    );
    if (ctx.io.isStdoutTTY)
      ctx.out.note(
        `${plural(shown.length, 'type')}${opts.filter ? ` of ${all.length}` : ''}; subscribe with \`twhook subscriptions create --sink DG… --type TYPE[@VERSION]\``,
      );
  });
}
