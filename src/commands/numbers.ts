/**
 * `twhook numbers list` and `twhook numbers show`: the account's incoming numbers with their
 * webhooks, methods, fallbacks and the connection overrides in each URL's fragment.
 */
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { TwhookError } from '../errors.js';
import { servicesOfNumbers, smsUrlIgnoredWarning, type MessagingService } from '../twilio/messaging.js';
import type { IncomingNumber, NumberField, TwilioPort } from '../twilio/port.js';
import { maskUrl } from '../webhooks/url.js';
import { resolveNumbers } from './shared/resolve-numbers.js';
import { maskSid } from '../redact.js';
import { describeOverrides, inspectOverrides, isEmptyOverrides, type Overrides } from '../webhooks/overrides.js';

type UrlField = 'smsUrl' | 'smsFallbackUrl' | 'voiceUrl' | 'voiceFallbackUrl' | 'statusCallback';

/** The five webhooks of a number, in the order they are shown, with their method fields. */
export const HOOKS: { label: string; url: UrlField; method: NumberField }[] = [
  { label: 'sms', url: 'smsUrl', method: 'smsMethod' },
  { label: 'sms fallback', url: 'smsFallbackUrl', method: 'smsFallbackMethod' },
  { label: 'voice', url: 'voiceUrl', method: 'voiceMethod' },
  { label: 'voice fallback', url: 'voiceFallbackUrl', method: 'voiceFallbackMethod' },
  { label: 'status callback', url: 'statusCallback', method: 'statusCallbackMethod' },
];

/** The overrides of one URL as --json shows them: the parsed settings, or why they are invalid. */
export type OverridesJson = Overrides | { error: string; fragment: string };

/** The Messaging Service a number is in; when `smsUrlIgnored`, the service answers its messages. */
export interface NumberServiceJson {
  sid: string;
  friendlyName: string;
  inboundRequestUrl: string | null;
  smsUrlIgnored: boolean;
}

/** A number as `numbers list --json` / `numbers show --json` print it. */
export interface NumberJson extends IncomingNumber {
  /** Per URL field with a fragment: its connection overrides. URLs without a fragment are absent. */
  overrides: Partial<Record<UrlField, OverridesJson>>;
  /** null: in no service; absent: the services could not be read (a warning said why). */
  messagingService?: NumberServiceJson | null;
}

/** Service membership by PN SID, or undefined when it could not be read. */
export type ServiceMap = Map<string, MessagingService> | undefined;

export function numberJson(n: IncomingNumber, services?: ServiceMap): NumberJson {
  const overrides: NumberJson['overrides'] = {};
  for (const hook of HOOKS) {
    const url = n[hook.url];
    if (!url || !url.includes('#')) continue;
    const inspected = inspectOverrides(url);
    overrides[hook.url] = inspected.error
      ? { error: inspected.error, fragment: inspected.fragment }
      : inspected.overrides!;
  }
  // A basic-auth password in a webhook URL is a secret: shown as user:***@ everywhere.
  const json: NumberJson = {
    ...n,
    ...Object.fromEntries(HOOKS.map((hook) => [hook.url, n[hook.url] ? maskUrl(n[hook.url]) : n[hook.url]])),
    overrides,
  };
  if (services) {
    const service = services.get(n.sid);
    json.messagingService = service
      ? {
          sid: service.sid,
          friendlyName: service.friendlyName,
          inboundRequestUrl: service.inboundRequestUrl && maskUrl(service.inboundRequestUrl),
          smsUrlIgnored: !service.useInboundWebhookOnNumber,
        }
      : null;
  }
  return json;
}

/**
 * Which Messaging Service each number is in: a service that does not "use inbound webhook on
 * number" answers the number's messages itself, so its SMS URL is never called. Best effort: a
 * key without access to Messaging Services gets a warning, not a failure.
 */
export async function readServices(ctx: Ctx, twilio: TwilioPort, numbers: IncomingNumber[]): Promise<ServiceMap> {
  if (!numbers.length) return new Map();
  try {
    return await servicesOfNumbers(
      twilio.messaging,
      numbers.map((n) => n.sid),
    );
  } catch (err) {
    if (!(err instanceof TwhookError)) throw err;
    ctx.out.warn(
      `could not read Messaging Services, so a number's SMS URL may be ignored without notice here: ${err.message}`,
    );
    return undefined;
  }
}

/** "ct=1000 rc=2", "invalid: …", or '' for a URL without overrides. */
function overridesText(url: string | null): string {
  if (!url || !url.includes('#')) return '';
  const inspected = inspectOverrides(url);
  if (inspected.error) return `invalid overrides: ${inspected.error}`;
  return isEmptyOverrides(inspected.overrides) ? '' : describeOverrides(inspected.overrides!);
}

const snake = (name: string) => name.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** Columns of the piped (TSV) form of `numbers list`, in order. */
export const TSV_COLUMNS: { header: string; value: (n: IncomingNumber) => string }[] = [
  { header: 'phone_number', value: (n) => n.phoneNumber },
  { header: 'friendly_name', value: (n) => n.friendlyName },
  { header: 'sid', value: (n) => n.sid },
  ...HOOKS.flatMap((hook) => [
    { header: snake(hook.method), value: (n: IncomingNumber) => n[hook.method] ?? '' },
    { header: snake(hook.url), value: (n: IncomingNumber) => maskUrl(n[hook.url]) },
  ]),
  { header: 'sms_application_sid', value: (n) => n.smsApplicationSid ?? '' },
  { header: 'voice_application_sid', value: (n) => n.voiceApplicationSid ?? '' },
];

/** TSV columns with the Messaging Service ones appended (empty when unknown). */
function tsvColumns(services: ServiceMap): { header: string; value: (n: IncomingNumber) => string }[] {
  return [
    ...TSV_COLUMNS,
    { header: 'messaging_service_sid', value: (n) => services?.get(n.sid)?.sid ?? '' },
    {
      header: 'sms_url_ignored',
      value: (n) => {
        if (!services) return '';
        const service = services.get(n.sid);
        return service && !service.useInboundWebhookOnNumber ? 'true' : 'false';
      },
    },
  ];
}

/** The human block for one number: a title line and one line per webhook that is set. */
function printNumber(ctx: Ctx, n: IncomingNumber, services: ServiceMap, options: { fullSid: boolean }): void {
  const c = ctx.out.c;
  const name = n.friendlyName && n.friendlyName !== n.phoneNumber ? `  ${n.friendlyName}` : '';
  ctx.out.print(`${c.bold(n.phoneNumber)}${name}  ${c.dim(options.fullSid ? n.sid : maskSid(n.sid))}`);
  const set = HOOKS.filter((hook) => n[hook.url]);
  const width = Math.max(...HOOKS.map((h) => h.label.length));
  for (const hook of set) {
    const url = n[hook.url]!;
    const method = (n[hook.method] ?? 'POST').padEnd(4);
    const overrides = overridesText(url);
    ctx.out.print(
      `  ${hook.label.padEnd(width)}  ${method}  ${maskUrl(url)}${overrides ? c.dim(`  (${overrides})`) : ''}`,
    );
  }
  if (!set.length) ctx.out.print(c.dim('  no webhooks set'));
  if (n.smsApplicationSid)
    ctx.out.print(
      `  ${'sms'.padEnd(width)}  handled by application ${n.smsApplicationSid}: Twilio ignores the SMS URLs above`,
    );
  if (n.voiceApplicationSid)
    ctx.out.print(
      `  ${'voice'.padEnd(width)}  handled by application ${n.voiceApplicationSid}: Twilio ignores the voice URLs above`,
    );
  const service = services?.get(n.sid);
  if (service) {
    const what = service.useInboundWebhookOnNumber
      ? 'uses the SMS URL above'
      : c.yellow(
          `answers incoming messages itself (${service.inboundRequestUrl ? maskUrl(service.inboundRequestUrl) : 'no inbound URL'}): the SMS URL above is ignored`,
        );
    ctx.out.print(
      `  ${'service'.padEnd(width)}  ${service.friendlyName} ${c.dim(options.fullSid ? service.sid : maskSid(service.sid))} ${what}`,
    );
  }
}

export async function runNumbersList(ctx: Ctx, options: { filter?: string } = {}): Promise<IncomingNumber[]> {
  const twilio = await ctx.twilio();
  const numbers = await twilio.numbers.list(options.filter ? { phoneNumber: options.filter } : {});
  const services = await readServices(ctx, twilio, numbers);
  ctx.out.result({ numbers: numbers.map((n) => numberJson(n, services)) }, () => {
    if (!numbers.length) {
      // The likely slip: a friendly name where Twilio matches the number's digits.
      const byName =
        options.filter && /[a-z]{2}/i.test(options.filter)
          ? ' (--filter matches digits of the number, not its name: `twhook numbers list` shows them all)'
          : '';
      ctx.out.note(
        `no incoming numbers${options.filter ? ` matching "${options.filter}"` : ''} on account ${maskSid(twilio.accountSid)}${byName}`,
      );
      return;
    }
    if (!ctx.io.isStdoutTTY) {
      ctx.out.table(tsvColumns(services), numbers);
      return;
    }
    numbers.forEach((n, i) => {
      if (i) ctx.out.print();
      printNumber(ctx, n, services, { fullSid: false });
    });
    ctx.out.note(
      `\n${numbers.length} number${numbers.length === 1 ? '' : 's'} on account ${maskSid(twilio.accountSid)}`,
    );
  });
  return numbers;
}

export async function runNumbersShow(ctx: Ctx, arg: string): Promise<IncomingNumber> {
  const twilio = await ctx.twilio();
  // As `configure` takes it: +E.164, PN SID, digits, or (part of) the friendly name.
  const [number] = (await resolveNumbers(twilio, [arg])) as [IncomingNumber];
  const services = await readServices(ctx, twilio, [number]);
  const ignored = smsUrlIgnoredWarning(number.phoneNumber, services?.get(number.sid));
  ctx.out.result({ number: numberJson(number, services) }, () => {
    printNumber(ctx, number, services, { fullSid: true });
    if (ignored) ctx.out.warn(ignored);
    for (const hook of HOOKS) {
      const url = number[hook.url];
      const inspected = url && url.includes('#') ? inspectOverrides(url) : undefined;
      if (inspected?.error) ctx.out.warn(`${hook.label} URL: ${inspected.error}`);
    }
  });
  return number;
}

export function register(cmd: Command, wire: Wire): void {
  cmd.description("the account's incoming numbers and their webhooks");
  cmd
    .command('list')
    .description('every incoming number: SMS, voice and status URLs, methods, fallbacks, connection overrides')
    .option('--filter <digits>', "Twilio's PhoneNumber filter: numbers containing these digits")
    .addHelpText(
      'after',
      `
Output: a block per number on a terminal. Piped: one tab-separated line per number, columns
  ${tsvColumns(new Map())
    .map((c) => c.header)
    .join(' ')}
  (a URL keeps its #fragment of connection overrides; an unset value is empty).
--json: one object {"numbers": [{sid, phoneNumber, friendlyName, smsUrl, smsMethod, ...,
  overrides: {voiceUrl: {connectTimeout, retryCount, ...}}, messagingService: {sid, ...,
  smsUrlIgnored} | null}]}; a URL without a fragment has no overrides entry, an invalid
  fragment gives {error, fragment}.

Examples:
  $ twhook numbers list
  $ twhook numbers list --json | jq -r '.numbers[].phoneNumber'
`,
    )
    .action(wire(async (ctx, opts: { filter?: string }) => void (await runNumbersList(ctx, opts))));
  cmd
    .command('show')
    .description('one number in full')
    .argument('<number>', '+E.164 number, PN SID, enough of its digits to be unique, or its friendly name')
    .addHelpText(
      'after',
      `
Examples:
  $ twhook numbers show +14155550100
  $ twhook numbers show 0100 --json
  $ twhook numbers show "Support line"
`,
    )
    .action(wire(async (ctx, arg: string) => void (await runNumbersShow(ctx, arg))));
  cmd.addHelpText('after', '\nExamples:\n  $ twhook numbers list\n  $ twhook numbers show +14155550100\n');
}
