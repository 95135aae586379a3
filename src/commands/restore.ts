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
import { expandRestoreSet, liveEntries, newestFirstIn, newestUnrestoredBatch, restoreEntries, type RestoreReport, type RestoreResult } from '../state/restore.js';
import { maskUrl, urlPassword } from '../state/url-secrets.js';
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
  if (/^\+?\d+$/.test(digits)) return entry.phoneNumber === digits || entry.phoneNumber.replace('+', '').includes(digits.replace('+', ''));
  return (entry.friendlyName ?? '').toLowerCase().includes(text.toLowerCase());
}

function subject(entry: JournalEntry): string {
  if (entry.kind === 'number') return entry.phoneNumber;
  return `${entry.kind === 'event-sink' ? 'sink' : 'subscription'} ${entry.sid ?? '(SID unknown)'}`;
}

/** What an entry set (numbers) or created (resources), in one line, secrets masked. */
export function describeEntry(entry: JournalEntry): string {
  if (entry.kind !== 'number') return `created ${entry.description ? `"${entry.description}"` : entry.kind}`;
  return NUMBER_FIELDS.filter((f) => f in entry.after || f in entry.before)
    .map((f) => `${FIELD_LABEL[f]}: ${shown(entry.before[f])} -> ${shown(entry.after[f])}`)
    .join('; ');
}

/** An entry as `--json` shows it: URLs masked, the owner's pid kept (it says who holds it). */
export function entryJson(entry: JournalEntry): Record<string, unknown> {
  if (entry.kind !== 'number') return { ...entry };
  const mask = (w: Partial<Record<NumberField, string | null>>) =>
    Object.fromEntries(Object.entries(w).map(([k, v]) => [k, typeof v === 'string' ? maskUrl(v) : v]));
  return { ...entry, before: mask(entry.before), after: mask(entry.after) };
}

function resultJson(r: RestoreResult): Record<string, unknown> {
  if (r.kind === 'number') {
    return {
      ...r,
      changes: r.changes.map((c) => ({ field: FIELD_LABEL[c.field], from: c.from === null ? null : maskUrl(c.from), to: c.to === null ? null : maskUrl(c.to) })),
      kept: r.kept.map((k) => ({ field: FIELD_LABEL[k.field], current: k.current === null ? null : maskUrl(k.current), original: k.original === null ? null : maskUrl(k.original) })),
    };
  }
  return { ...r };
}

function printList(ctx: Ctx, entries: JournalEntry[]): void {
  const sorted = [...entries].sort((a, b) => subject(a).localeCompare(subject(b)) || (a.createdAt < b.createdAt ? 1 : -1));
  ctx.out.result({ backups: sorted.map(entryJson) }, () => {
    if (!sorted.length) {
      ctx.out.note('No backups yet: `twhook configure` and `twhook dev` make one before every change.');
      return;
    }
    ctx.out.table(
      [
        { header: 'NUMBER', value: (e: JournalEntry) => subject(e) },
        { header: 'ID', value: (e) => e.id },
        { header: 'DATE', value: (e) => e.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
        { header: 'BY', value: (e) => e.origin },
        { header: 'STATE', value: (e) => (e.state === 'restored' ? 'restored' : e.state === 'pending' ? 'pending (unfinished)' : 'applied') },
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
      for (const c of r.changes) rows.push({ subject: r.phoneNumber, field: FIELD_LABEL[c.field], now: shown(c.from), back: shown(c.to) });
    } else if (r.status !== 'failed') {
      rows.push({ subject: `${r.kind === 'event-sink' ? 'sink' : 'subscription'} ${r.sid ?? '?'}`, field: 'resource', now: 'exists', back: '(deleted)' });
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

function selectEntries(journal: Journal, options: RestoreCommandOptions): JournalEntry[] {
  if (options.id) {
    const entry = journal.get(options.id);
    if (entry.state === 'restored') throw new UsageError(`backup ${entry.id} was already restored (${entry.restoredAt ?? 'earlier'}); \`twhook restore --list\` shows the history`);
    if (options.number && !entryMatches(entry, options.number)) throw new UsageError(`backup ${entry.id} is of ${subject(entry)}, not ${options.number}`);
    return expandRestoreSet(journal, [entry]);
  }
  if (options.number) {
    const open = journal.unrestored().filter((e) => entryMatches(e, options.number!));
    const numbers = [...new Set(open.map((e) => (e as NumberEntry).phoneNumber))];
    if (numbers.length > 1) throw new UsageError(`"${options.number}" matches backups of ${numbers.length} numbers (${numbers.join(', ')}): give the whole number`);
    if (!open.length) {
      const any = journal.entries().some((e) => entryMatches(e, options.number!));
      throw new UsageError(any ? `every backup of ${options.number} is already restored: \`twhook restore --list ${options.number}\` shows them` : `no backup of ${options.number}: \`twhook restore --list\` shows the numbers twhook changed`);
    }
    const newest = open.sort(newestFirstIn(journal))[0]!;
    return expandRestoreSet(journal, [newest]);
  }
  return expandRestoreSet(journal, newestUnrestoredBatch(journal));
}

export async function runRestore(ctx: Ctx, options: RestoreCommandOptions): Promise<number> {
  // `restore "$UNSET" --yes` must not fall back to undoing the last command on every number.
  if (options.number !== undefined && !options.number.trim()) {
    throw new UsageError('the number is empty (an unset variable?): give +E.164, a PN SID or digits, or no number to undo the last change');
  }
  if (options.list && options.id !== undefined) throw new UsageError('--list shows every backup and --id restores one: drop one of them');
  const journal = new Journal(ctx.configDir, { now: () => ctx.clock.now() });
  if (options.list) {
    const all = journal.entries();
    printList(ctx, options.number ? all.filter((e) => entryMatches(e, options.number!)) : all);
    return 0;
  }
  const entries = selectEntries(journal, options);
  if (!entries.length) {
    const empty = journal.entries().length === 0;
    ctx.out.result({ restored: [], failed: [] }, () =>
      ctx.out.note(empty ? 'Nothing to restore: no backups yet (`twhook configure` and `twhook dev` make one before every change).' : 'Nothing to restore: every backup is already restored (`twhook restore --list` shows them).'),
    );
    return 0;
  }
  const live = liveEntries(entries);
  if (live.length && !options.force) {
    const who = [...new Set(live.map((e) => `${subject(e)} (pid ${e.owner!.pid}${e.owner!.host === hostname() ? '' : ` on ${e.owner!.host}`})`))].join(', ');
    throw new UsageError(
      `${who}: held by a running twhook dev session, which restores it when it ends; stop that session (Ctrl-C) instead, or pass --force if it is gone (it ran on another machine, or in a container since restarted)`,
    );
  }
  for (const e of entries) if (e.kind === 'number') for (const v of [...Object.values(e.before), ...Object.values(e.after)]) ctx.out.redactor.add(urlPassword(v));

  const port = await ctx.twilio();
  const plan = await restoreEntries(port, journal, entries, { dryRun: true });
  if (!ctx.out.json) printPlan(ctx, plan);
  for (const r of plan.failed) ctx.out.warn(`cannot restore ${r.kind === 'number' ? r.phoneNumber : `${r.kind} ${r.sid ?? ''}`}: ${r.error}`);
  const work = plan.results.filter((r) => r.status === 'planned');
  if (options.dryRun) {
    ctx.out.result({ dryRun: true, plan: plan.results.map(resultJson) }, () => ctx.out.note('Dry run: nothing changed.'));
    return plan.failed.length ? 3 : 0;
  }
  if (work.length && !options.yes) {
    if (!ctx.canPrompt) throw new UsageError('pass --yes to restore without confirmation');
    const what = work.length === 1 ? (work[0]!.kind === 'number' ? work[0]!.phoneNumber : 'this resource') : `${work.length} numbers and resources`;
    if (!(await ctx.prompter.confirm({ message: `Restore ${what}?`, default: true }))) {
      ctx.out.note('Nothing changed.');
      return 0;
    }
  }
  const report = await restoreEntries(port, journal, entries, { signal: ctx.signal, note: 'restored by twhook restore' });
  ctx.out.result({ restored: report.restored.map(resultJson), failed: report.failed.map(resultJson) }, () => {
    for (const r of report.restored) {
      const name = r.kind === 'number' ? r.phoneNumber : `${r.kind} ${r.sid ?? ''}`;
      const how = r.status === 'unchanged' ? 'already had its previous values' : r.kind === 'number' ? 'restored' : 'deleted';
      ctx.out.note(`${ctx.out.c.green('✓')} ${name} ${how} (backup ${r.entryIds.join(', ')})`);
    }
  });
  if (report.failed.length) {
    const names = report.failed.map((r) => `${r.kind === 'number' ? r.phoneNumber : r.sid ?? r.kind}: ${r.error}`);
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
    .option('--force', 'also restore numbers a dev session seems to hold (one that ran on another machine or in a restarted container)')
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
      wire(async (ctx, number: string | undefined, opts: Omit<RestoreCommandOptions, 'number'>) => runRestore(ctx, { ...opts, number })),
    );
}
