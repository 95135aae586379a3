/**
 * `twhook configure`: sets a number's webhook URLs, methods and connection overrides, showing the
 * change as before/after and backing up the previous values first (write-ahead journal), so
 * `twhook restore` can put them back.
 */
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { CancelError, RemoteError, UsageError, type RemoteErrorInfo } from '../errors.js';
import { Journal, newBatchId, type NumberEntry } from '../state/journal.js';
import { applyNumberChange, fieldValue } from '../state/number-change.js';
import { liveEntries, staleSessionEntries } from '../state/restore.js';
import { maskUrl, urlPasswords } from '../webhooks/url.js';
import { servicesOfNumbers, smsUrlIgnoredWarning, type MessagingService } from '../twilio/messaging.js';
import {
  NUMBER_FIELDS,
  type HttpMethod,
  type IncomingNumber,
  type NumberField,
  type NumberUpdate,
  type TwilioPort,
} from '../twilio/port.js';
import type { Choice } from '../ui/prompter.js';
import {
  describeOverrides,
  isEmptyOverrides,
  overrideWarnings,
  parseOverrides,
  splitFragment,
  withOverrides,
  type Overrides,
} from '../webhooks/overrides.js';
import { addOverrideOptions, overridesFromOptions } from './shared/override-options.js';
import { resolveNumbers } from './shared/resolve-numbers.js';
import { checkMethod, checkWebhookUrl, isPlainHttp, webhookUrlProblem } from './shared/webhook-url.js';

type UrlField = 'smsUrl' | 'smsFallbackUrl' | 'voiceUrl' | 'voiceFallbackUrl' | 'statusCallback';

interface FieldOption {
  field: NumberField;
  flag: string;
  kind: 'url' | 'method';
  label: string;
  /** Requests to it come from Programmable Voice (15 s ceiling). */
  voice: boolean;
}

export const FIELD_OPTIONS: readonly FieldOption[] = [
  { field: 'smsUrl', flag: '--sms-url', kind: 'url', label: 'sms-url', voice: false },
  { field: 'smsMethod', flag: '--sms-method', kind: 'method', label: 'sms-method', voice: false },
  { field: 'smsFallbackUrl', flag: '--sms-fallback-url', kind: 'url', label: 'sms-fallback-url', voice: false },
  {
    field: 'smsFallbackMethod',
    flag: '--sms-fallback-method',
    kind: 'method',
    label: 'sms-fallback-method',
    voice: false,
  },
  { field: 'voiceUrl', flag: '--voice-url', kind: 'url', label: 'voice-url', voice: true },
  { field: 'voiceMethod', flag: '--voice-method', kind: 'method', label: 'voice-method', voice: true },
  { field: 'voiceFallbackUrl', flag: '--voice-fallback-url', kind: 'url', label: 'voice-fallback-url', voice: true },
  {
    field: 'voiceFallbackMethod',
    flag: '--voice-fallback-method',
    kind: 'method',
    label: 'voice-fallback-method',
    voice: true,
  },
  { field: 'statusCallback', flag: '--status-callback', kind: 'url', label: 'status-callback', voice: true },
  {
    field: 'statusCallbackMethod',
    flag: '--status-callback-method',
    kind: 'method',
    label: 'status-callback-method',
    voice: true,
  },
];

/** The method field of each URL field. */
const METHOD_FIELD: Record<UrlField, NumberField> = {
  smsUrl: 'smsMethod',
  smsFallbackUrl: 'smsFallbackMethod',
  voiceUrl: 'voiceMethod',
  voiceFallbackUrl: 'voiceFallbackMethod',
  statusCallback: 'statusCallbackMethod',
};

const URL_FIELDS = FIELD_OPTIONS.filter((o) => o.kind === 'url').map((o) => o.field as UrlField);
const optionOf = (field: NumberField) => FIELD_OPTIONS.find((o) => o.field === field)!;

/** Human names for the interactive checkbox. */
const URL_FIELD_NAMES: Record<UrlField, string> = {
  smsUrl: 'SMS URL (incoming messages)',
  smsFallbackUrl: 'SMS fallback URL',
  voiceUrl: 'Voice URL (incoming calls)',
  voiceFallbackUrl: 'Voice fallback URL',
  statusCallback: 'Call status callback',
};

const FIELD_HELP: Record<NumberField, string> = {
  smsUrl: "URL Twilio requests for incoming messages ('' clears it)",
  smsMethod: 'HTTP method of the SMS URL',
  smsFallbackUrl: "URL requested when the SMS URL fails ('' clears it)",
  smsFallbackMethod: 'HTTP method of the SMS fallback URL',
  voiceUrl: "URL Twilio requests for incoming calls ('' clears it)",
  voiceMethod: 'HTTP method of the voice URL',
  voiceFallbackUrl: "URL requested when the voice URL fails ('' clears it)",
  voiceFallbackMethod: 'HTTP method of the voice fallback URL',
  statusCallback: "URL that receives call status changes ('' clears it)",
  statusCallbackMethod: 'HTTP method of the status callback',
};

export interface ConfigureOptions {
  /** What the user typed for each number; empty: pick interactively. */
  numbers: string[];
  /** Validated field values (overrides already merged into the URLs). */
  fields: NumberUpdate;
  /** Settings for the fragments of every URL set (or, with overridesOnly, already there). */
  overrides?: Overrides;
  overridesOnly?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

/** One field's change in `--json`: named as `restore` and `restore --list` name it (camelCase, before/after). */
export interface FieldChangeView {
  field: NumberField;
  before: string | null;
  after: string | null;
}

export interface NumberPlanView {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  /** planned (dry run), changed, unchanged (already so), failed, skipped (not reached after a failure). */
  status: 'planned' | 'changed' | 'unchanged' | 'failed' | 'skipped';
  backupId?: string;
  changes: FieldChangeView[];
  error?: string;
}

interface NumberPlan {
  number: IncomingNumber;
  update: NumberUpdate;
  view: NumberPlanView;
}

/** Several numbers, a failure midway: says which changed, so `restore` can undo them. */
export class ConfigureFailed extends RemoteError {
  constructor(
    message: string,
    info: RemoteErrorInfo,
    readonly changed: string[],
    readonly failedNumber: string,
    readonly notTried: string[],
    cause: unknown,
  ) {
    super(message, info, { cause });
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), failedNumber: this.failedNumber, changed: this.changed, notTried: this.notTried };
  }
}

type Flags = Partial<Record<NumberField, string>> &
  Record<string, unknown> & { overridesOnly?: boolean; yes?: boolean; dryRun?: boolean };

/** Checks every flag before any API call (exit 2 on the first problem). */
export function optionsFromFlags(numbers: string[], flags: Flags): ConfigureOptions {
  const overrides = overridesFromOptions(flags);
  const fields: NumberUpdate = {};
  for (const option of FIELD_OPTIONS) {
    const raw = flags[option.field];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') throw new UsageError(`${option.flag} takes one value`);
    if (option.kind === 'method') fields[option.field] = checkMethod(raw, option.flag);
    else fields[option.field] = raw === '' ? '' : checkWebhookUrl(raw.trim(), option.flag);
  }
  const urls = URL_FIELDS.filter((f) => fields[f]);
  if (flags.overridesOnly) {
    if (URL_FIELDS.some((f) => fields[f] !== undefined)) {
      throw new UsageError(
        `--overrides-only keeps the URLs already set: drop ${URL_FIELDS.filter((f) => fields[f] !== undefined)
          .map((f) => optionOf(f).flag)
          .join(', ')}, or drop --overrides-only`,
      );
    }
    if (!overrides)
      throw new UsageError(
        '--overrides-only needs at least one override option: --connect-timeout/--ct, --read-timeout/--rt, --total-timeout/--tt, --retry-count/--rc, --retry-policy/--rp, --edge/--e, --sni',
      );
  } else if (overrides && urls.length === 0) {
    const cleared = URL_FIELDS.filter((f) => fields[f] === '').map((f) => `${optionOf(f).flag} ''`);
    const given = describeOverrides(overrides);
    if (cleared.length) {
      throw new UsageError(
        `${cleared.join(', ')} ${cleared.length === 1 ? 'clears the URL' : 'clear the URLs'}, so the override options (${given}) have no URL to go on: give a URL, or drop the override options`,
      );
    }
    throw new UsageError(
      `override options (${given}) apply to the URLs this command sets: add --sms-url, --voice-url…, or pass --overrides-only to change the fragments of the URLs already on the number`,
    );
  }
  if (overrides) {
    for (const f of urls) fields[f] = checkWebhookUrl(withOverrides(fields[f]!, overrides), optionOf(f).flag);
  }
  return { numbers, fields, overrides, overridesOnly: !!flags.overridesOnly, yes: !!flags.yes, dryRun: !!flags.dryRun };
}

function hasWork(options: ConfigureOptions): boolean {
  return Object.keys(options.fields).length > 0 || (!!options.overridesOnly && !isEmptyOverrides(options.overrides));
}

/** The update for one number: the requested fields, minus those already holding that value. */
export function planFor(number: IncomingNumber, options: ConfigureOptions): NumberUpdate {
  const update: NumberUpdate = {};
  if (options.overridesOnly && options.overrides) {
    for (const f of URL_FIELDS) {
      const current = number[f];
      if (!current) continue;
      let next: string;
      try {
        next = withOverrides(current, options.overrides);
      } catch (err) {
        throw new UsageError(
          `${number.phoneNumber} ${optionOf(f).flag.slice(2)} has a fragment twhook cannot merge with: ${(err as Error).message}`,
        );
      }
      if (next !== current) update[f] = next;
    }
    return update;
  }
  for (const f of NUMBER_FIELDS) {
    const wanted = options.fields[f];
    if (wanted === undefined) continue;
    if (fieldValue(wanted) !== fieldValue(number[f])) update[f] = wanted;
  }
  return update;
}

/** "+1… x is plain http" for several numbers with the same URL: one line naming them all. */
function groupByNumber(warnings: string[], phoneNumbers: string[]): string[] {
  const groups = new Map<string, string[]>();
  const loose: string[] = [];
  for (const w of warnings) {
    const phone = phoneNumbers.find((n) => w.startsWith(`${n} `));
    if (!phone) {
      loose.push(w);
      continue;
    }
    const rest = w.slice(phone.length);
    groups.set(rest, [...(groups.get(rest) ?? []), phone]);
  }
  return [...[...groups].map(([rest, phones]) => `${phones.join(', ')}${rest}`), ...loose];
}

function warningsFor(number: IncomingNumber, update: NumberUpdate, service: MessagingService | undefined): string[] {
  const warnings: string[] = [];
  for (const f of URL_FIELDS) {
    const url = update[f];
    if (!url) continue;
    const label = optionOf(f).label;
    if (isPlainHttp(url))
      warnings.push(
        `${number.phoneNumber} ${label} is plain http: requests, and the signed parameters in them, cross the internet unencrypted; use https`,
      );
    let overrides: Overrides = {};
    try {
      overrides = parseOverrides(splitFragment(url).fragment);
    } catch {
      /* checked before */
    }
    for (const w of overrideWarnings(overrides, { voice: optionOf(f).voice, plainHttp: isPlainHttp(url) }))
      warnings.push(`${number.phoneNumber} ${label}: ${w}`);
  }
  const smsTouched = update.smsUrl !== undefined || update.smsFallbackUrl !== undefined;
  if (smsTouched) {
    const ignored = smsUrlIgnoredWarning(number.phoneNumber, service);
    if (ignored) warnings.push(ignored);
    if (number.smsApplicationSid)
      warnings.push(
        `${number.phoneNumber} uses TwiML App ${number.smsApplicationSid} for messages: Twilio ignores its SMS URL until the app is removed from the number`,
      );
  }
  const voiceTouched = update.voiceUrl !== undefined || update.voiceFallbackUrl !== undefined;
  if (voiceTouched && number.voiceApplicationSid) {
    warnings.push(
      `${number.phoneNumber} uses TwiML App ${number.voiceApplicationSid} for calls: Twilio ignores its voice URL until the app is removed from the number`,
    );
  }
  return warnings;
}

function view(number: IncomingNumber, update: NumberUpdate): NumberPlanView {
  return {
    sid: number.sid,
    phoneNumber: number.phoneNumber,
    friendlyName: number.friendlyName,
    status: 'planned',
    changes: NUMBER_FIELDS.filter((f) => update[f] !== undefined).map((f) => ({
      field: f,
      before: fieldValue(number[f]) === null ? null : maskUrl(number[f]),
      after: fieldValue(update[f]) === null ? null : maskUrl(update[f]),
    })),
  };
}

function printPlan(ctx: Ctx, plans: NumberPlan[]): void {
  const rows = plans.flatMap((p) => p.view.changes.map((c) => ({ number: p.view.phoneNumber, ...c })));
  if (!rows.length) return;
  ctx.out.table(
    [
      { header: 'NUMBER', value: (r) => r.number },
      { header: 'FIELD', value: (r) => optionOf(r.field).label },
      { header: 'BEFORE', value: (r) => r.before ?? '(none)' },
      { header: 'AFTER', value: (r) => (r.after === null ? '(cleared)' : ctx.out.c.green(r.after)) },
    ],
    rows,
  );
}

async function pickInteractively(
  ctx: Ctx,
  port: TwilioPort,
  options: ConfigureOptions,
): Promise<{ numbers: IncomingNumber[]; options: ConfigureOptions }> {
  const all = await port.numbers.list();
  if (!all.length)
    throw new UsageError(
      'this account has no phone numbers to configure: buy one in the Console or with the Twilio CLI first',
    );
  const picked: IncomingNumber[] = [];
  const label = (n: IncomingNumber) =>
    n.friendlyName && n.friendlyName !== n.phoneNumber ? `${n.phoneNumber}  ${n.friendlyName}` : n.phoneNumber;
  for (;;) {
    const remaining = all.filter((n) => !picked.some((p) => p.sid === n.sid));
    const number = await ctx.prompter.search<IncomingNumber>({
      message: picked.length ? 'Another number (type digits or a name)' : 'Number to configure (type digits or a name)',
      source: (term) => {
        const t = (term ?? '').trim().toLowerCase();
        const digits = t.replace(/[^\d]/g, '');
        return remaining
          .filter((n) => !t || n.friendlyName.toLowerCase().includes(t) || (digits && n.phoneNumber.includes(digits)))
          .map((n) => ({ name: label(n), value: n, description: n.sid }));
      },
    });
    picked.push(number);
    if (remaining.length <= 1) break;
    if (!(await ctx.prompter.confirm({ message: 'Configure another number too?', default: false }))) break;
  }
  if (hasWork(options)) return { numbers: picked, options };

  const first = picked[0]!;
  // One number: every prompt starts at what it has now, so Enter all the way proposes no change.
  const single = picked.length === 1;
  const choices: Choice<UrlField>[] = URL_FIELDS.map((f) => ({
    name: URL_FIELD_NAMES[f],
    value: f,
    description: single ? (first[f] ? `now ${maskUrl(first[f])}` : 'not set') : undefined,
  }));
  const chosen = await ctx.prompter.checkbox<UrlField>({ message: 'Webhooks to set', choices, required: true });
  if (!chosen.length) throw new UsageError('no webhook picked: nothing to change');
  const fields: NumberUpdate = {};
  /** The fragment each URL keeps when the overrides are left as they are: the typed one, else the current one. */
  const ownFragment = new Map<UrlField, string>();
  for (const f of chosen) {
    const currentUrl = single && first[f] ? first[f]! : undefined;
    const current = currentUrl ? splitFragment(currentUrl).base : undefined;
    // The default is drawn on the terminal: a basic-auth password in it shows masked, and
    // keeping the masked default keeps the real URL.
    const shownCurrent = current && maskUrl(current);
    const answer = await ctx.prompter.input({
      message: `${URL_FIELD_NAMES[f]} (${shownCurrent ? 'Enter keeps it; none clears it' : 'empty or none: not set'})`,
      ...(shownCurrent ? { default: shownCurrent } : {}),
      validate: (value) => {
        const v = value.trim();
        if (v === '' || /^none$/i.test(v)) return true;
        const problem = webhookUrlProblem(v);
        return problem ? `This URL ${problem}` : true;
      },
    });
    const typed = answer.trim();
    if (typed === '' || /^none$/i.test(typed)) {
      fields[f] = '';
      continue;
    }
    const split = splitFragment(typed);
    fields[f] = current && split.base === shownCurrent ? current : split.base;
    ownFragment.set(f, split.hasFragment ? split.fragment : currentUrl ? splitFragment(currentUrl).fragment : '');

    const methodField = METHOD_FIELD[f];
    const currentMethod: HttpMethod | undefined = single
      ? ((first[methodField] as HttpMethod | null) ?? 'POST')
      : undefined;
    const method = await ctx.prompter.select<HttpMethod | 'keep'>({
      message: `HTTP method of the ${URL_FIELD_NAMES[f].replace(/ \(.*\)$/, '')}`,
      choices: [
        ...(single ? [] : [{ name: "Keep each number's", value: 'keep' as const }]),
        { name: 'POST', value: 'POST' },
        { name: 'GET', value: 'GET' },
      ],
      default: currentMethod ?? 'keep',
    });
    // Twilio's default is POST: a number with no method set has nothing to change for POST.
    if (method !== 'keep' && method !== currentMethod) fields[methodField] = method;
  }
  const withUrl = chosen.filter((f) => fields[f]);
  if (!withUrl.length) return { numbers: picked, options: { ...options, fields } };
  const fragments = [...new Set(withUrl.map((f) => ownFragment.get(f)!))];
  const shared = fragments.length === 1 ? fragments[0]! : undefined;
  const text = (
    await ctx.prompter.input({
      message: `Connection overrides for ${withUrl.length === 1 ? 'this URL' : 'these URLs'} (like ct=2000&rc=2&rp=5xx,ct; ${
        shared === undefined ? "Enter keeps each URL's own; " : ''
      }none: Twilio's defaults)`,
      ...(shared ? { default: shared } : {}),
      validate: (value) => {
        const v = value.trim();
        if (v === '' || /^none$/i.test(v) || v === shared) return true;
        try {
          parseOverrides(v);
          return true;
        } catch (err) {
          return (err as Error).message;
        }
      },
    })
  ).trim();
  // Left as it was (Enter on the default): each URL keeps its fragment byte for byte.
  const keep = text === (shared ?? '');
  const overrides = keep || /^none$/i.test(text) ? {} : parseOverrides(text);
  for (const f of withUrl) {
    const own = ownFragment.get(f)!;
    const url = keep
      ? own
        ? `${fields[f]}#${own}`
        : fields[f]!
      : withOverrides(fields[f]!, overrides, { replace: true });
    fields[f] = checkWebhookUrl(url, optionOf(f).flag);
  }
  return {
    numbers: picked,
    options: { ...options, fields, overrides: isEmptyOverrides(overrides) ? undefined : overrides },
  };
}

export interface ConfigureResult {
  dryRun: boolean;
  applied: boolean;
  numbers: NumberPlanView[];
  warnings: string[];
}

export async function runConfigure(ctx: Ctx, input: ConfigureOptions): Promise<number> {
  let options = input;
  const interactive = options.numbers.length === 0;
  if (interactive && !ctx.canPrompt) {
    const ask = ctx.out.json ? 'without --json and with no number it asks' : 'with no number it asks on a terminal';
    throw new UsageError(
      `name the numbers to configure (+E.164, PN SID, digits or name), e.g. \`twhook configure +15551234567 --sms-url https://…\`; ${ask}`,
    );
  }
  if (!interactive && !hasWork(options)) {
    throw new UsageError(
      'nothing to change: pass --sms-url, --voice-url, --status-callback… (see `twhook configure --help`)',
    );
  }
  const port = await ctx.twilio();
  let numbers: IncomingNumber[];
  try {
    if (interactive) ({ numbers, options } = await pickInteractively(ctx, port, options));
    else numbers = await resolveNumbers(port, options.numbers);
  } catch (err) {
    // Twilio failing before any change: say so, a user wondering whether to restore need not look.
    if (err instanceof RemoteError && !(err instanceof ConfigureFailed))
      throw new RemoteError(`${err.message}; nothing was changed`, err.info, { cause: err });
    throw err;
  }

  for (const n of numbers) for (const f of URL_FIELDS) ctx.out.redactor.add(...urlPasswords(n[f]));
  for (const f of URL_FIELDS) ctx.out.redactor.add(...urlPasswords(options.fields[f]));

  const plans: NumberPlan[] = numbers.map((number) => {
    const update = planFor(number, options);
    return { number, update, view: view(number, update) };
  });

  const warnings: string[] = [];
  let services = new Map<string, MessagingService>();
  const smsSids = plans
    .filter((p) => p.update.smsUrl !== undefined || p.update.smsFallbackUrl !== undefined)
    .map((p) => p.number.sid);
  if (smsSids.length) {
    try {
      services = await servicesOfNumbers(port.messaging, smsSids);
    } catch (err) {
      warnings.push(`could not check whether a Messaging Service overrides the SMS URL: ${(err as Error).message}`);
    }
  }
  const journal = new Journal(ctx.configDir, { now: () => ctx.clock.now() });
  const urlWarnings: string[] = [];
  for (const p of plans) {
    urlWarnings.push(...warningsFor(p.number, p.update, services.get(p.number.sid)));
    const open = journal.unrestored({ kind: 'number', numberSid: p.number.sid, origin: 'dev' });
    const live = liveEntries(open);
    if (live.length) {
      warnings.push(
        `${p.number.phoneNumber} is in use by a running twhook dev session (pid ${live[0]!.owner!.pid}): when it ends it puts back what it changed, except the fields you change now`,
      );
    } else if (staleSessionEntries(journal, port.accountSid, [p.number.sid]).length) {
      warnings.push(
        `${p.number.phoneNumber} still has URLs from a twhook dev session that ended without restoring: \`twhook restore ${p.number.phoneNumber}\` puts back the values from before it`,
      );
    }
  }

  warnings.push(
    ...groupByNumber(
      urlWarnings,
      plans.map((p) => p.number.phoneNumber),
    ),
  );

  const todo = plans.filter((p) => Object.keys(p.update).length > 0);
  for (const p of plans) if (!todo.includes(p)) p.view.status = 'unchanged';
  const result = (applied: boolean): ConfigureResult => ({
    dryRun: !!options.dryRun,
    applied,
    numbers: plans.map((p) => p.view),
    warnings,
  });

  if (!ctx.out.json) printPlan(ctx, plans);
  for (const w of warnings) ctx.out.warn(w);
  for (const p of plans)
    if (p.view.status === 'unchanged') ctx.out.note(`${p.number.phoneNumber}: already set that way, nothing to change`);

  if (!todo.length || options.dryRun) {
    if (ctx.out.json) ctx.out.emit(result(false));
    else if (options.dryRun && todo.length) ctx.out.note('dry run: nothing changed');
    return 0;
  }

  if (!options.yes) {
    if (!ctx.canPrompt)
      throw new UsageError('pass --yes to apply without confirmation (or --dry-run to only see the change)');
    const ok = await ctx.prompter.confirm({
      message: `Apply ${todo.length === 1 ? 'this change' : `these changes to ${todo.length} numbers`}?`,
      default: true,
    });
    if (!ok) {
      ctx.out.note('nothing changed');
      return 0;
    }
  }

  const batch = newBatchId();
  const changed: NumberPlan[] = [];
  for (const p of todo) {
    if (ctx.signal.aborted) break;
    try {
      const { entry } = await applyNumberChange({
        port,
        journal,
        number: p.number,
        update: p.update,
        origin: 'configure',
        batch,
      });
      p.view.status = 'changed';
      p.view.backupId = entry.id;
      changed.push(p);
      ctx.out.note(`${ctx.out.c.green('✓')} ${p.number.phoneNumber} updated (backup ${entry.id})`);
    } catch (err) {
      p.view.status = 'failed';
      p.view.error = (err as Error).message;
      const notTried = todo.slice(todo.indexOf(p) + 1);
      for (const rest of notTried) rest.view.status = 'skipped';
      // An entry left pending (outcome unknown) counts as possibly changed: restore handles it.
      const pending = journal.unrestored({ batch, numberSid: p.number.sid }).length > 0;
      const touched = [...changed.map((c) => c.number.phoneNumber), ...(pending ? [p.number.phoneNumber] : [])];
      const what = [
        ...(changed.length
          ? [`changed before the failure: ${changed.map((c) => c.number.phoneNumber).join(', ')}`]
          : []),
        ...(pending ? [`${p.number.phoneNumber} may have changed all the same (Twilio's answer is unknown)`] : []),
      ];
      const undo = what.length
        ? `; ${what.join('; ')} (undo with \`twhook restore\`)`
        : todo.length > 1
          ? '; no number was changed'
          : '; nothing was changed';
      const rest = notTried.length ? `; not tried: ${notTried.map((n) => n.number.phoneNumber).join(', ')}` : '';
      const message = `configuring ${p.number.phoneNumber} failed: ${(err as Error).message}${undo}${rest}`;
      if (err instanceof RemoteError) {
        throw new ConfigureFailed(
          message,
          err.info,
          touched,
          p.number.phoneNumber,
          notTried.map((n) => n.number.phoneNumber),
          err,
        );
      }
      if (err instanceof UsageError) throw new UsageError(message, { cause: err });
      throw new RemoteError(message, {}, { cause: err });
    }
  }
  const undo = changed.length === 1 ? `twhook restore ${changed[0]!.number.phoneNumber}` : 'twhook restore';
  if (ctx.signal.aborted && changed.length < todo.length) {
    // Cancelled like every command (exit 130), saying what was and was not changed.
    const left = todo.filter((p) => p.view.status === 'planned').map((p) => p.number.phoneNumber);
    const done = changed.length
      ? `changed ${changed.map((c) => c.number.phoneNumber).join(', ')} (previous values saved; undo with: ${undo})`
      : 'no number was changed';
    throw new CancelError(`interrupted: ${done}; not changed: ${left.join(', ')}`);
  }
  if (ctx.out.json) ctx.out.emit(result(true));
  else if (changed.length) ctx.out.note(`previous values saved; undo with: ${undo}`);
  return 0;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .summary("set a number's webhook URLs, methods and connection overrides (backed up first)")
    .description(
      'Set the webhook URLs, methods and connection overrides of phone numbers. Shows the change as before/after, asks before applying on a terminal, and saves the previous values first: `twhook restore` puts them back. With no number on a terminal, asks which numbers and webhooks.',
    )
    .argument('[numbers...]', 'numbers to configure: +E.164, PN SID, digits or part of the name');
  for (const option of FIELD_OPTIONS)
    cmd.option(`${option.flag} ${option.kind === 'url' ? '<url>' : '<GET|POST>'}`, FIELD_HELP[option.field]);
  addOverrideOptions(cmd);
  cmd
    .option('--overrides-only', 'change only the connection overrides of the URLs already set on the numbers')
    .option('-y, --yes', 'apply without asking')
    .option('--dry-run', 'show the change, make none')
    .addHelpText(
      'after',
      `
Examples:
  $ twhook configure +15551234567 --sms-url https://app.example.com/sms --ct 2000 --rc 2 --rp 5xx,ct
  $ twhook configure +15551234567 --overrides-only --tt 10000 --yes
  $ twhook configure PN0123456789abcdef0123456789abcdef --voice-url https://app.example.com/voice --dry-run
  $ twhook configure            # on a terminal: pick numbers and webhooks
`,
    )
    .action(wire(async (ctx, numbers: string[], flags: Flags) => runConfigure(ctx, optionsFromFlags(numbers, flags))));
}

/** For `restore --list` and others: a one-line description of an entry's change. */
export function describeNumberEntry(entry: NumberEntry): string {
  return NUMBER_FIELDS.filter((f) => f in entry.after)
    .map((f) => `${optionOf(f).label}=${entry.after[f] === null ? '(cleared)' : maskUrl(entry.after[f])}`)
    .join(' ');
}
