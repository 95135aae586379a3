/**
 * `twhook restore`: puts back what `configure` or `dev` changed, from the backup journal, and
 * lists the history with `--list`.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { UsageError } from '../errors.js';
import { Journal, type JournalEntry, type NumberEntry } from '../state/journal.js';
import { fieldValue } from '../state/number-change.js';
import {
  expandRestoreSet,
  liveEntries,
  newestFirstIn,
  newestUnrestoredBatch,
  restoreEntries,
  type KeptField,
  type NumberRestore,
  type RestoreReport,
  type RestoreResult,
} from '../state/restore.js';
import type { ResourceKind } from '../state/journal.js';
import { plural } from '../ui/format.js';
import { maskUrl, urlPasswords } from '../webhooks/url.js';
import { NUMBER_FIELDS, type NumberField } from '../twilio/port.js';

export interface RestoreCommandOptions {
  number?: string;
  list?: boolean;
  id?: string;
  yes?: boolean;
  dryRun?: boolean;
  /** Restore what a dev session seems to hold: it ran on another machine, or its pid was reused. */
  force?: boolean;
}

const FIELD_LABEL: Record<NumberField, string> = {
  smsUrl: 'sms-url',
  smsMethod: 'sms-method',
  smsFallbackUrl: 'sms-fallback-url',
  smsFallbackMethod: 'sms-fallback-method',
  voiceUrl: 'voice-url',
  voiceMethod: 'voice-method',
  voiceFallbackUrl: 'voice-fallback-url',
  voiceFallbackMethod: 'voice-fallback-method',
  statusCallback: 'status-callback',
  statusCallbackMethod: 'status-callback-method',
};

const shown = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '(none)' : maskUrl(v));

/** Whether a journal entry is about the number the user typed (+E.164, PN SID, digits). */
export function entryMatches(entry: JournalEntry, ref: string): boolean {
  if (entry.kind !== 'number') return false;
  const text = ref.trim();
  if (/^PN[0-9a-f]{32}$/i.test(text)) return entry.numberSid.toLowerCase() === text.toLowerCase();
  const digits = text.replace(/[\s().-]/g, '');
  if (/^\+?\d+$/.test(digits))
    return entry.phoneNumber === digits || entry.phoneNumber.replace('+', '').includes(digits.replace('+', ''));
  return (entry.friendlyName ?? '').toLowerCase().includes(text.toLowerCase());
}

/** "sink DG…", "subscription DF…": one name for a resource in the list, the plan and the result. */
function resourceName(kind: ResourceKind, sid: string | undefined): string {
  return `${kind === 'event-sink' ? 'sink' : 'subscription'} ${sid ?? '(SID unknown)'}`;
}

function subject(entry: JournalEntry): string {
  if (entry.kind === 'number') return entry.phoneNumber;
  return resourceName(entry.kind, entry.sid);
}

function resultSubject(r: RestoreResult): string {
  return r.kind === 'number' ? r.phoneNumber : resourceName(r.kind, r.sid);
}

/**
 * What an entry set (numbers) or created (resources), in one line, secrets masked; fields it left
 * as they were are not shown.
 */
export function describeEntry(entry: JournalEntry): string {
  if (entry.kind !== 'number') return `created ${entry.description ? `"${entry.description}"` : entry.kind}`;
  const changed = NUMBER_FIELDS.filter(
    (f) => (f in entry.after || f in entry.before) && fieldValue(entry.before[f]) !== fieldValue(entry.after[f]),
  );
  if (!changed.length) return '(no field changed)';
  return changed.map((f) => `${FIELD_LABEL[f]}: ${shown(entry.before[f])} -> ${shown(entry.after[f])}`).join('; ');
}

/** An entry as `--json` shows it: URLs masked, the owner's pid kept (it says who holds it). */
export function entryJson(entry: JournalEntry): Record<string, unknown> {
  if (entry.kind !== 'number') return { ...entry };
  const mask = (w: Partial<Record<NumberField, string | null>>) =>
    Object.fromEntries(Object.entries(w).map(([k, v]) => [k, typeof v === 'string' ? maskUrl(v) : v]));
  return { ...entry, before: mask(entry.before), after: mask(entry.after) };
}

const masked = (v: string | null) => (v === null ? null : maskUrl(v));

/**
 * A result as `--json` shows it, named as `configure` and `restore --list` name things: fields in
 * camelCase, a change as `before` (the value now) and `after` (the value put back).
 */
function resultJson(r: RestoreResult): Record<string, unknown> {
  if (r.kind === 'number') {
    return {
      ...r,
      changes: r.changes.map((c) => ({ field: c.field, before: masked(c.from), after: masked(c.to) })),
      kept: r.kept.map((k) => ({
        field: k.field,
        set: masked(k.set),
        current: masked(k.current),
        backup: masked(k.backup),
      })),
    };
  }
  return { ...r };
}

/** A field left alone, in one line: what twhook set, what is there now, what the backup holds. */
function keptText(r: NumberRestore, k: KeptField): string {
  return `${r.phoneNumber} ${FIELD_LABEL[k.field]} changed since twhook set it, so it is left as it is: twhook set ${shown(k.set)}, it is now ${shown(k.current)}, the backup holds ${shown(k.backup)}`;
}

function printList(ctx: Ctx, entries: JournalEntry[]): void {
  const sorted = [...entries].sort(
    (a, b) => subject(a).localeCompare(subject(b)) || (a.createdAt < b.createdAt ? 1 : -1),
  );
  ctx.out.result({ backups: sorted.map(entryJson) }, () => {
    if (!sorted.length) {
      ctx.out.note('no backups yet: `twhook configure` and `twhook dev` make one before every change');
      return;
    }
    ctx.out.table(
      [
        { header: 'NUMBER', value: (e: JournalEntry) => subject(e) },
        { header: 'ID', value: (e) => e.id },
        { header: 'DATE', value: (e) => e.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
        { header: 'BY', value: (e) => e.origin },
        {
          header: 'STATE',
          value: (e) =>
            e.state === 'restored' ? 'restored' : e.state === 'pending' ? 'pending (unfinished)' : 'applied',
        },
        { header: 'CHANGE (before -> after)', value: (e) => describeEntry(e) },
      ],
      sorted,
    );
  });
}

function printPlan(ctx: Ctx, report: RestoreReport): void {
  const rows: { subject: string; field: string; now: string; back: string }[] = [];
  for (const r of report.results) {
    if (r.kind === 'number') {
      for (const c of r.changes)
        rows.push({ subject: r.phoneNumber, field: FIELD_LABEL[c.field], now: shown(c.from), back: shown(c.to) });
    } else if (r.status === 'planned' || r.status === 'unchanged') {
      rows.push({
        subject: resultSubject(r),
        field: 'resource',
        now: r.status === 'planned' ? 'exists' : '(already deleted)',
        back: '(deleted)',
      });
    }
  }
  if (!rows.length) return;
  ctx.out.table(
    [
      { header: 'NUMBER', value: (r: (typeof rows)[number]) => r.subject },
      { header: 'FIELD', value: (r) => r.field },
      { header: 'NOW', value: (r) => r.now },
      { header: 'RESTORED', value: (r) => ctx.out.c.green(r.back) },
    ],
    rows,
  );
}

/** The entries to restore, or none with the reason (nothing to restore is not an error). */
function selectEntries(
  journal: Journal,
  options: RestoreCommandOptions,
): { entries: JournalEntry[]; nothing?: string } {
  if (options.id) {
    const entry = journal.get(options.id);
    if (entry.state === 'restored')
      throw new UsageError(
        `backup ${entry.id} was already restored (${entry.restoredAt ?? 'earlier'}); \`twhook restore --list\` shows the history`,
      );
    if (options.number && !entryMatches(entry, options.number))
      throw new UsageError(`backup ${entry.id} is of ${subject(entry)}, not ${options.number}`);
    return { entries: expandRestoreSet(journal, [entry]) };
  }
  if (options.number) {
    const open = journal.unrestored().filter((e) => entryMatches(e, options.number!));
    const numbers = [...new Set(open.map((e) => (e as NumberEntry).phoneNumber))];
    if (numbers.length > 1)
      throw new UsageError(
        `"${options.number}" matches backups of ${numbers.length} numbers (${numbers.join(', ')}): give the whole number`,
      );
    if (!open.length) {
      const any = journal.entries().some((e) => entryMatches(e, options.number!));
      const nothing = any
        ? `nothing to restore: every backup of ${options.number} is already restored (\`twhook restore --list ${options.number}\` shows them)`
        : `nothing to restore: no backup of ${options.number} (\`twhook restore --list\` shows the numbers twhook changed)`;
      return { entries: [], nothing };
    }
    const newest = open.sort(newestFirstIn(journal))[0]!;
    return { entries: expandRestoreSet(journal, [newest]) };
  }
  const entries = expandRestoreSet(journal, newestUnrestoredBatch(journal));
  if (entries.length) return { entries };
  const nothing =
    journal.entries().length === 0
      ? 'nothing to restore: no backups yet (`twhook configure` and `twhook dev` make one before every change)'
      : 'nothing to restore: every backup is already restored (`twhook restore --list` shows them)';
  return { entries, nothing };
}

export async function runRestore(ctx: Ctx, options: RestoreCommandOptions): Promise<number> {
  // `restore "$UNSET" --yes` must not fall back to undoing the last command on every number.
  if (options.number !== undefined && !options.number.trim()) {
    throw new UsageError(
      'the number is empty (an unset variable?): give +E.164, a PN SID or digits, or no number to undo the last change',
    );
  }
  if (options.list && options.id !== undefined)
    throw new UsageError('--list shows every backup and --id restores one: drop one of them');
  const journal = new Journal(ctx.configDir, { now: () => ctx.clock.now() });
  if (options.list) {
    const all = journal.entries();
    printList(ctx, options.number ? all.filter((e) => entryMatches(e, options.number!)) : all);
    return 0;
  }
  const { entries, nothing } = selectEntries(journal, options);
  if (!entries.length) {
    ctx.out.result({ restored: [], failed: [], note: nothing }, () => ctx.out.note(nothing!));
    return 0;
  }
  const live = liveEntries(entries);
  if (live.length && !options.force) {
    const who = [
      ...new Set(
        live.map(
          (e) => `${subject(e)} (pid ${e.owner!.pid}${e.owner!.host === hostname() ? '' : ` on ${e.owner!.host}`})`,
        ),
      ),
    ].join(', ');
    throw new UsageError(
      `${who}: held by a running twhook dev session, which restores it when it ends; stop that session (Ctrl-C) instead, or pass --force if it is gone (it ran on another machine, or in a container since restarted)`,
    );
  }
  for (const e of entries)
    if (e.kind === 'number')
      for (const v of [...Object.values(e.before), ...Object.values(e.after)]) ctx.out.redactor.add(...urlPasswords(v));

  const port = await ctx.twilio();
  // A field someone changed since twhook set it is left alone unless --force: never lost silently.
  const mode = options.force ? 'force' : 'if-unchanged';
  const plan = await restoreEntries(port, journal, entries, { dryRun: true, mode });
  if (!ctx.out.json) printPlan(ctx, plan);
  for (const r of plan.failed) ctx.out.warn(`cannot restore ${resultSubject(r)}: ${r.error}`);
  const keptNumbers = plan.results.filter((r): r is NumberRestore => r.kind === 'number' && r.kept.length > 0);
  for (const r of keptNumbers) for (const k of r.kept) ctx.out.warn(keptText(r, k));
  if (keptNumbers.length) {
    const force = `twhook restore${keptNumbers.length === 1 ? ` ${keptNumbers[0]!.phoneNumber}` : ''} --force`;
    ctx.out.note(
      `to put the backup's ${keptNumbers.length === 1 && keptNumbers[0]!.kept.length === 1 ? 'value' : 'values'} back anyway: ${force}`,
    );
  }
  const work = plan.results.filter((r) => r.status === 'planned' && (r.kind !== 'number' || r.changes.length > 0));
  if (options.dryRun) {
    ctx.out.result({ dryRun: true, plan: plan.results.map(resultJson) }, () =>
      ctx.out.note('dry run: nothing changed'),
    );
    return plan.failed.length ? 3 : 0;
  }
  if (work.length && !options.yes) {
    if (!ctx.canPrompt) throw new UsageError('pass --yes to restore without confirmation');
    const numbers = work.filter((r) => r.kind === 'number').length;
    const resources = work.length - numbers;
    const what =
      work.length === 1
        ? resultSubject(work[0]!)
        : [numbers ? plural(numbers, 'number') : '', resources ? plural(resources, 'resource') : '']
            .filter(Boolean)
            .join(' and ');
    if (!(await ctx.prompter.confirm({ message: `Restore ${what}?`, default: true }))) {
      ctx.out.note('nothing changed');
      return 0;
    }
  }
  const report = await restoreEntries(port, journal, entries, {
    signal: ctx.signal,
    note: 'restored by twhook restore',
    mode,
    leaveKeptOpen: true,
  });
  ctx.out.result({ restored: report.restored.map(resultJson), failed: report.failed.map(resultJson) }, () => {
    for (const r of report.restored) {
      const how =
        r.kind === 'number'
          ? r.status === 'restored'
            ? 'restored'
            : r.kept.length
              ? 'left as it is'
              : 'already had its previous values'
          : r.status === 'restored'
            ? 'deleted'
            : 'already deleted';
      ctx.out.note(`${ctx.out.c.green('✓')} ${resultSubject(r)} ${how} (backup ${r.entryIds.join(', ')})`);
    }
  });
  if (report.failed.length) {
    const names = report.failed.map((r) => `${resultSubject(r)}: ${r.error}`);
    ctx.out.error(`could not restore ${names.join('; ')}; run \`twhook restore\` again once fixed (backups kept)`);
    return 3;
  }
  return 0;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .summary('put back the webhook settings twhook changed (from its backups)')
    .description(
      'Put back the values twhook saved before changing a number (configure, dev), and delete what a dev session created. With no number: undoes the last command that changed numbers. --list shows the history.',
    )
    .argument('[number]', 'the number to restore: +E.164, PN SID or digits (default: the last change)')
    .option('--list', 'show the backups, per number, with what each change set')
    .option('--id <id>', 'restore this backup (and any newer one of the same number)')
    .option('-y, --yes', 'restore without asking')
    .option('--dry-run', 'show what would be put back, change nothing')
    .option(
      '--force',
      'also restore numbers a dev session seems to hold (one that ran on another machine or in a restarted container)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ twhook restore +15551234567
  $ twhook restore --list
  $ twhook restore --id 3fa2c1d0 --yes
`,
    )
    .action(
      wire(async (ctx, number: string | undefined, opts: Omit<RestoreCommandOptions, 'number'>) =>
        runRestore(ctx, { ...opts, number }),
      ),
    );
}
