/**
 * Every command, as the help lists it, with a loader: the entry point imports this list and only
 * the command being run is loaded. Commands import their types from here, never from the entry.
 */
import type { Command } from 'commander';
import type { Ctx } from '../ctx.js';

/** A command's action: returns its exit code (or nothing for 0), or throws a TwhookError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (ctx: Ctx, ...args: any[]) => Promise<number | void> | number | void;
/** Turns a handler into a commander action that builds the context from the global options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Wire = (handler: Handler) => (...args: any[]) => Promise<void>;

export interface CommandModule {
  /** Adds options, arguments, subcommands, help examples and actions to `cmd`. */
  register(cmd: Command, wire: Wire): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  example: string;
  load: () => Promise<CommandModule>;
}

/** Every command that works, in the order `--help` lists them. */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'demo',
    summary: 'see it all work offline, no Twilio account needed: dev session, live view, capture, verify',
    example: 'twhook demo',
    load: () => import('./demo.js'),
  },
  // numbers, doctor
  {
    name: 'numbers',
    summary: "list the account's incoming numbers and their webhooks, or show one",
    example: 'twhook numbers list',
    load: () => import('./numbers.js'),
  },
  {
    name: 'doctor',
    summary: 'check credentials, the Twilio API, ngrok and Node',
    example: 'twhook doctor',
    load: () => import('./doctor.js'),
  },
  // configure, restore
  {
    name: 'configure',
    summary: "set a number's webhook URLs, methods and connection overrides (backed up first)",
    example: 'twhook configure +15551234567 --sms-url https://app.example.com/sms --ct 2000 --rc 2',
    load: () => import('./configure.js'),
  },
  {
    name: 'restore',
    summary: 'put back the webhook settings twhook changed, from its backups',
    example: 'twhook restore +15551234567',
    load: () => import('./restore.js'),
  },
  // dev
  {
    name: 'dev',
    summary: 'tunnel to your local app, point numbers at it, show every webhook live, restore them on exit',
    example: 'twhook dev 3000 --number +15017122661',
    load: () => import('./dev.js'),
  },
  {
    name: 'inspect',
    summary: 'open captured webhooks (JSONL, HAR) in the web inspector: timelines, verdicts, TwiML, replay',
    example: 'twhook inspect .twhook/captures/2026-11-27.jsonl --to http://localhost:3000',
    load: () => import('./inspect.js'),
  },
  // call, text, test
  {
    name: 'call',
    summary: "play an inbound call through your app's TwiML, offline: press keys, speak, dial, record",
    example: 'twhook call 3000 --press 1 --dial-status busy',
    load: () => import('./call.js'),
  },
  {
    name: 'text',
    summary: 'text your app offline: a conversation through its messaging TwiML, cookies kept across runs',
    example: 'twhook text 3000 "hi"',
    load: () => import('./text.js'),
  },
  {
    name: 'test',
    summary: 'run conversation specs (YAML) against your app and say which step broke: for CI',
    example: 'twhook test specs/ --junit twhook.xml',
    load: () => import('./test.js'),
  },
  // verify, sign
  {
    name: 'verify',
    summary:
      'check webhook signatures in captures (JSONL, HAR), of one request, or prove an endpoint refuses forgeries',
    example: 'twhook verify captures/today.jsonl --public-url-base https://abc123.ngrok.app',
    load: () => import('./verify.js'),
  },
  {
    name: 'sign',
    summary: 'print the X-Twilio-Signature Twilio would send for a URL and body',
    example: 'twhook sign --url https://abc123.ngrok.app/sms --param Body=Hello',
    load: () => import('./sign.js'),
  },
  // replay, trigger
  {
    name: 'replay',
    summary: 'send captured webhooks again to your app, signed so they validate; compare the answers',
    example: 'twhook replay .twhook/captures/2026-11-27.jsonl --to http://localhost:3000 --filter kind=status',
    load: () => import('./replay.js'),
  },
  {
    name: 'trigger',
    summary: 'send a synthetic, correctly signed webhook (sms, call, status sequences...) to your app',
    example: 'twhook trigger sms --to http://localhost:3000/sms --body "hello"',
    load: () => import('./trigger.js'),
  },
  // sinks, subscriptions, event-types
  {
    name: 'sinks',
    summary: 'Event Streams sinks: create (webhook, Kinesis, Segment), list, show, test, validate, delete',
    example:
      'twhook sinks create --type webhook --destination https://example.com/events --subscribe com.twilio.messaging.message.delivered',
    load: () => import('./sinks.js'),
  },
  {
    name: 'subscriptions',
    summary: 'Event Streams subscriptions: which event types go to which sink',
    example: 'twhook subscriptions create --sink DG0123… --type com.twilio.messaging.message.failed@3',
    load: () => import('./subscriptions.js'),
  },
  {
    name: 'event-types',
    summary: 'the Event Streams catalogue of event types',
    example: 'twhook event-types list --filter messaging',
    load: () => import('./event-types.js'),
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh or fish)',
    example: 'twhook completion bash > /etc/bash_completion.d/twhook',
    load: () => import('./completion.js'),
  },
];
