/**
 * `twhook text <app> [message…]`: inbound messages sent in order as one conversation through the
 * app's TwiML, offline; with no message on a terminal, a chat. Twilio keeps a conversation's
 * cookies per From/To pair for 4 hours: the jar lives under the config folder, so one run
 * continues the last (`--new-conversation` forgets it).
 */
import type { Command, Option } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { CancelError, TwhookError, UsageError } from '../errors.js';
import type { TextInput } from '../simulate/api.js';
import { ScriptedTextInputs } from '../simulate/inputs.js';
import { conversationJarPath } from '../simulate/cookies.js';
import { nameFromFile, specYaml } from '../simulate/spec-writer.js';
import { appLabel, DEFAULT_FROM, DEFAULT_TO } from '../simulate/target.js';
import { checkAbsoluteUrl, parsePositiveInt } from './shared/flags.js';
import { checkSavePath, resolveTarget, startSimulation, writeSpec } from './shared/simulate.js';

export interface TextFlags {
  media?: string[];
  delivery?: string;
  from?: string;
  to?: string;
  method?: string;
  fallback?: string;
  newConversation?: boolean;
  maxRequests?: string;
  number?: string;
  capture?: string | boolean;
  save?: string;
  publicUrl?: string;
}

const DELIVERY = ['delivered', 'failed', 'undelivered'] as const;

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('[app]', 'your app: a port (3000) or a URL; a port, or a URL with no path, gets /sms')
    .argument('[message...]', 'the messages the texter sends, in order')
    .option(
      '--media <url>',
      'attach this media URL to the next message (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option(
      '--delivery <status>',
      "the replies' final status for their status callbacks: delivered, failed, undelivered",
      'delivered',
    )
    .option('--from <number>', `the texter (default ${DEFAULT_FROM})`)
    .option('--to <number>', `the number texted (default ${DEFAULT_TO}, or the --number)`)
    .option('--method <method>', 'GET or POST (default POST)')
    .option('--fallback <url|path>', 'the fallback URL Twilio requests when the app fails')
    .option('--new-conversation', 'forget the cookies kept from earlier runs for this From/To pair')
    .option('--max-requests <n>', 'stop a redirect loop after this many requests', '100')
    .option('--number <number>', "use this number's configured SMS webhook from the account instead of <app>")
    .option(
      '--capture <file>',
      'append requests and answers to this file (default .twhook/captures/<date>.jsonl, as dev)',
    )
    .option('--no-capture', 'capture nothing')
    .option('--save <file.yaml>', 'write the conversation as a spec for `twhook test`')
    .option('--public-url <base>', 'sign for this public base URL (the one the app believes it serves)')
    .addHelpText(
      'after',
      `
Each message is one inbound SMS (with --media, an MMS). The conversation's cookies are kept
between runs, as Twilio keeps them for 4 hours per From/To pair, so a second run continues it.
With no message on a terminal, a chat starts (an empty line ends it); never with --json or when
stdin is not a terminal.

Exit: 0 ok, 1 the app caused a Twilio error, 2 bad usage, 3 nothing listens at <app>.

Examples:
  $ twhook text 3000 hi
  $ twhook text 3000 1                      # continues the conversation
  $ twhook text 3000 "menu" "2" --new-conversation
  $ twhook text 3000 --media https://demo.twilio.com/owl.png "what bird is this?"
  $ twhook text 3000
  $ twhook text --number +15017122661 "STOP"
  $ twhook text 3000 hi 2 --save specs/bot.yaml && twhook test specs/bot.yaml
`,
    )
    .action(
      wire(async (ctx: Ctx, app: string | undefined, messages: string[], flags: TextFlags) =>
        runText(
          ctx,
          app,
          messages,
          flags,
          mediaPositions((cmd.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [], cmd),
        ),
      ),
    );
}

/**
 * For each --media in argv, how many words (the app included) came before it, so that it goes on
 * the next message. commander keeps no positions: walk argv with the command's options.
 */
export function mediaPositions(rawArgs: string[], cmd: Command): number[] {
  const options: Option[] = [...cmd.options, ...(cmd.parent?.options ?? [])];
  const takesValue = (flag: string) => {
    const option = options.find((o) => o.long === flag || o.short === flag);
    return !!option && (option.required || option.optional) && !option.negate;
  };
  // The command's name is the first word that is not a global option's value.
  let start = 0;
  while (start < rawArgs.length && rawArgs[start] !== cmd.name()) {
    const [flag, inline] = rawArgs[start]!.split(/=(.*)/s, 2) as [string, string | undefined];
    start += flag.startsWith('-') && inline === undefined && takesValue(flag) ? 2 : 1;
  }
  const positions: number[] = [];
  let words = 0;
  for (let i = start + 1; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === '--') {
      break;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
      if (flag === '--media') positions.push(words);
      if (inline === undefined && takesValue(flag)) i++;
      continue;
    }
    words += 1;
  }
  return positions;
}

function checkNumber(value: string, flag: string): string {
  if (!/^(?:\+[1-9]\d{6,14}|(?:whatsapp|messenger|rcs):\+?[\w.@-]+)$/.test(value)) {
    throw new UsageError(`${flag} must be an E.164 number such as ${DEFAULT_FROM} (or whatsapp:+…), not "${value}"`);
  }
  return value;
}

export async function runText(
  ctx: Ctx,
  app: string | undefined,
  words: string[],
  flags: TextFlags,
  mediaAt: number[],
): Promise<number> {
  // With --number, every word is a message.
  let messageWords = words;
  let appArg = app;
  let mediaIndex = mediaAt.map((n) => Math.max(0, n - 1));
  if (flags.number !== undefined) {
    if (app !== undefined) messageWords = [app, ...words];
    appArg = undefined;
    mediaIndex = mediaAt;
  }
  if (appArg === undefined && flags.number === undefined)
    throw new UsageError(
      'where to? give your app: twhook text 3000 "hi" (or --number +E.164 to use a number\'s configured SMS URL)',
    );
  const delivery = flags.delivery ?? 'delivered';
  if (!DELIVERY.includes(delivery as never))
    throw new UsageError(`--delivery is ${DELIVERY.join(', ')}, not "${delivery}"`);
  const from = checkNumber(flags.from ?? DEFAULT_FROM, '--from');
  if (flags.to !== undefined) checkNumber(flags.to, '--to');
  const maxRequests = parsePositiveInt(flags.maxRequests ?? '100', '--max-requests', 1);
  const publicUrl = flags.publicUrl
    ? checkAbsoluteUrl(flags.publicUrl, '--public-url', 'https://abc123.ngrok.app')
    : undefined;
  const savePath = flags.save ? checkSavePath(ctx, flags.save) : undefined;
  for (const url of flags.media ?? []) checkAbsoluteUrl(url, '--media', 'https://example.com/owl.png');

  // Messages in order, each --media on the next one; media after the last goes on a message of its own.
  const script: Array<{ input: TextInput; tag: string }> = messageWords.map((body) => ({
    input: { body },
    tag: JSON.stringify(body),
  }));
  const trailing: string[] = [];
  (flags.media ?? []).forEach((url, i) => {
    const target = script[mediaIndex[i] ?? 0];
    if (target) (target.input.media ??= []).push(url);
    else trailing.push(url);
  });
  const chat = script.length === 0 && ctx.canPrompt;
  if (trailing.length && !chat) script.push({ input: { body: '', media: trailing }, tag: '--media' });
  if (!script.length && !chat) {
    throw new UsageError(
      'what does the texter send? twhook text 3000 "hi" (on a terminal, with no message, a chat starts)',
    );
  }
  if (script.some((s) => !s.input.body && !s.input.media?.length))
    throw new UsageError('a message is empty (an unset variable?): give its text');

  const { target, numberTo } = await resolveTarget(ctx, appArg, flags, 'text');
  const to = flags.to ?? numberTo ?? DEFAULT_TO;
  const { signing, engine, capture, events, onEvent } = await startSimulation(ctx, target, flags.capture);
  let chatMedia = trailing;
  const ask = chat
    ? async (): Promise<TextInput | undefined> => {
        let body: string;
        try {
          body = await ctx.prompter.input({ message: 'you' });
        } catch (err) {
          // Ctrl-C in a chat ends the conversation; its cookies are kept.
          if (err instanceof CancelError) return undefined;
          throw err;
        }
        if (!body.trim()) return undefined;
        const media = chatMedia;
        chatMedia = [];
        return media.length ? { body, media } : { body };
      }
    : undefined;
  const source = new ScriptedTextInputs<string>(script, () => events.length, ask);
  if (chat) ctx.out.note(ctx.out.c.dim('chat: type a message, Enter sends it; an empty line ends the conversation'));
  ctx.out.note(
    ctx.out.c.dim(
      `texting ${appLabel(target.url)} from ${from} to ${to}${signing.authToken ? '' : ' (unsigned)'}${flags.newConversation ? ', new conversation' : ''}`,
    ),
  );
  let result;
  try {
    result = await engine.simulateText({
      app: target,
      from,
      to,
      accountSid: signing.accountSid,
      authToken: signing.authToken,
      publicUrl,
      maxRequests,
      messages: source,
      delivery: delivery as 'delivered',
      cookieFile: conversationJarPath(ctx.configDir),
      newConversation: !!flags.newConversation,
      onEvent,
      onExchange: capture?.record,
      signal: ctx.signal,
    });
  } catch (err) {
    if (err instanceof TwhookError || !ctx.signal.aborted) throw err;
  } finally {
    await capture?.close();
  }
  if (capture) ctx.out.note(ctx.out.c.dim(`captured to ${capture.path} (twhook verify / replay read it)`));
  if (ctx.signal.aborted) return 130;
  if (savePath && result) {
    const text = specYaml(
      {
        name: nameFromFile(savePath),
        channel: 'text',
        app: target.url,
        method: target.method,
        from,
        to,
        fallback: target.fallback,
        maxRequests: flags.maxRequests && maxRequests !== 100 ? maxRequests : undefined,
        delivery: delivery !== 'delivered' ? delivery : undefined,
      },
      result.events,
      source.used,
      flags.save,
    );
    writeSpec(ctx, savePath, flags.save ?? savePath, text, target);
  }
  return result?.ok ? 0 : 1;
}
