/**
 * `twhook sign`: the X-Twilio-Signature Twilio would send for a URL and body, for curl, test
 * suites and other tools. JSON bodies also get the URL with bodySHA256 appended.
 */
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { UsageError } from '../errors.js';
import { signingTokens } from '../twilio/credentials.js';
import { severalTokens } from './shared/several-tokens.js';
import { signRequest, type ContentType } from '../webhooks/signature.js';
import { maskUrl, urlPasswords } from '../webhooks/url.js';
import { checkAbsoluteUrl, parseKeyValue } from './shared/flags.js';
import { collect } from './shared/collect.js';

export interface SignFlags {
  url?: string;
  param?: string[];
  body?: string;
  contentType?: string;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .description('print the X-Twilio-Signature Twilio would send for a URL and body')
    .requiredOption('--url <url>', 'the URL Twilio requests (with its query string; a #fragment is not signed)')
    .option('--param <name=value>', 'a form parameter (repeat, in order; a repeated name is sent twice)', collect)
    .option(
      '--body <string>',
      'the raw body instead of --param: form-encoded, or the JSON text with --content-type json',
    )
    .option('--content-type <type>', 'form or json', 'form')
    .addHelpText(
      'after',
      `
Prints the signature on the first line; for JSON the URL with bodySHA256 on the second
(send the request to that URL). Uses the first --auth-token (or TWILIO_AUTH_TOKEN).

Examples:
  $ twhook sign --url https://abc123.ngrok.app/sms --param From=+15551234567 --param Body=Hello
  $ curl -H "X-Twilio-Signature: $(twhook sign --url http://localhost:3000/sms --param Body=Hi)" \\
      --data-urlencode Body=Hi http://localhost:3000/sms
  $ twhook sign --url https://abc123.ngrok.app/events --content-type json --body '[{"type":"com.twilio.messaging.message.delivered"}]' --json
`,
    )
    .action(wire(async (ctx, flags: SignFlags) => runSign(ctx, flags)));
}

export function parseParams(values: string[] | undefined): Array<[string, string]> {
  return (values ?? []).map((value) => parseKeyValue(value, '--param', 'Body=Hello'));
}

export async function runSign(ctx: Ctx, flags: SignFlags): Promise<number> {
  ctx.out.redactor.add(...urlPasswords(flags.url));
  const url = checkAbsoluteUrl(flags.url ?? '', '--url');
  const type = (flags.contentType ?? 'form').toLowerCase();
  if (type !== 'form' && type !== 'json')
    throw new UsageError(`--content-type is form or json, not "${flags.contentType}"`);
  const contentType = type as ContentType;
  const params = parseParams(flags.param);
  if (params.length && flags.body !== undefined)
    throw new UsageError('give the body once: --param NAME=VALUE pairs or --body');
  if (contentType === 'json') {
    if (params.length) throw new UsageError('a JSON body is signed through its hash: pass it with --body, not --param');
    if (flags.body !== undefined) {
      try {
        JSON.parse(flags.body);
      } catch {
        ctx.out.warn('--body is not valid JSON; signing it as given');
      }
    }
  }
  const tokens = signingTokens(ctx.credentials());
  if (tokens.length > 1) ctx.out.warn(severalTokens(tokens.length));
  const [token] = tokens;
  const signed = signRequest({
    authToken: token!,
    url,
    contentType,
    ...(flags.body !== undefined ? { body: flags.body } : { params }),
  });
  if (url.includes('#')) ctx.out.note('the #fragment is not part of what Twilio signs: it was left out');
  ctx.out.result({ signature: signed.signature, url: maskUrl(signed.url), contentType, body: signed.body }, () => {
    ctx.out.print(signed.signature);
    if (contentType === 'json') ctx.out.print(maskUrl(signed.url));
  });
  return 0;
}
