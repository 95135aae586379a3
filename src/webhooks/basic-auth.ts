/**
 * Webhook URLs that carry HTTP basic-auth credentials (`https://user:pass@host/sms`, as
 * `dev --basic-auth` gives the numbers): which credentials Twilio can use, and the signature
 * verdict of a request made to such a URL. Twilio signs the URL it was given, credentials
 * included, though some of its pages say they are dropped: the verdict tries the URL with the
 * credentials, then without. dev's live view, `verify` and `inspect` of its capture all take
 * their verdict from verifyWithBasicAuth, so they cannot disagree.
 */
import { verifyAndExplain, type ExplainOptions } from './signature-explain.js';
import type { Verdict } from './signature.js';
import { maskUrl, splitUrl } from './url.js';

export interface BasicAuth {
  username: string;
  password: string;
}

/** Which URL a signature matched: the one with the basic-auth credentials, or the one without. */
export type CredentialsMatch = 'with-credentials' | 'without-credentials';

/**
 * Twilio's security page: "Be careful to not include any special characters, such as &, :, etc."
 * in webhook credentials. Twilio splits and decodes the URL's userinfo itself, so these break
 * the credentials it sends, or the URL, in ways the app only sees as a 401.
 */
const BASIC_AUTH_AVOID = ['&', '@', '#', '/', '?', '%', ' '];

/** Why Twilio could not use these credentials, or undefined when it can. */
export function basicAuthProblem(username: string, password: string): string | undefined {
  const found = (text: string, extra: string[] = []) =>
    [...extra, ...BASIC_AUTH_AVOID].filter((c) => text.includes(c) || (c === ' ' && /\s/.test(text)));
  const inUser = found(username, [':']);
  const inPassword = found(password);
  if (!inUser.length && !inPassword.length) return undefined;
  const shown = (chars: string[]) => chars.map((c) => (c === ' ' ? 'spaces' : `"${c}"`)).join(', ');
  const where = [
    inUser.length ? `the user has ${shown(inUser)}` : '',
    inPassword.length ? `the password has ${shown(inPassword)}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return (
    `--basic-auth: ${where}, which Twilio's security docs say to avoid in webhook credentials ` +
    `(& : @ # / ? % and spaces): choose credentials of letters, digits and - . _ ~ + only`
  );
}

/**
 * `url` with these credentials in it (any it had replaced), every other byte as written: the
 * string Twilio was given, as `dev` builds the numbers' URLs (each part %-encoded).
 */
export function withCredentials(url: string, auth: BasicAuth): string {
  return withUserInfo(url, `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@`);
}

/** What a capture keeps of the URL with the credentials: `https://user:***@host/sms`, never the password. */
export function credentialedShape(url: string, username: string): string {
  return withUserInfo(url, `${encodeURIComponent(username)}:***@`);
}

/** The user of a URL's credentials (decoded), or undefined when it has none. */
export function credentialsUser(url: string): string | undefined {
  const userInfo = splitUrl(url)?.userInfo;
  if (!userInfo) return undefined;
  const colon = userInfo.indexOf(':');
  const user = colon === -1 ? userInfo.slice(0, -1) : userInfo.slice(0, colon);
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

function withUserInfo(url: string, userInfo: string): string {
  const p = splitUrl(url);
  if (!p) return url;
  return p.scheme + userInfo + p.host + p.port + p.rest;
}

/** What is known of the credentials a request's URL carried. */
export interface CredentialsContext {
  /** The credentials to check with: dev's session's, or `--basic-auth` of verify and inspect. */
  credentials?: BasicAuth;
  /**
   * From a capture of a `dev --basic-auth` session: the URL with the credentials, password masked
   * (`credentialedUrl`), and which URL dev's verdict matched (`matchedUrl`, absent if neither).
   */
  captured?: { credentialedUrl: string; matchedUrl?: CredentialsMatch };
}

/** The context of a captured request (a capture record's fields), checked with `credentials` if given. */
export function capturedCredentials(
  record: { credentialedUrl?: string; matchedUrl?: CredentialsMatch },
  credentials?: BasicAuth,
): CredentialsContext {
  const context: CredentialsContext = credentials ? { credentials } : {};
  if (record.credentialedUrl)
    context.captured = {
      credentialedUrl: record.credentialedUrl,
      ...(record.matchedUrl ? { matchedUrl: record.matchedUrl } : {}),
    };
  return context;
}

export interface CredentialsVerdict extends Verdict {
  /**
   * Which URL the signature matched; `missing`: the request came through a basic-auth session,
   * it is invalid without the credentials, and no password was given to check it with them.
   */
  basicAuth?: CredentialsMatch | 'missing';
}

/** How to give verify or inspect what it needs: said in every verdict that lacks the password. */
export const PASS_BASIC_AUTH = 'pass --basic-auth USER:PASS';

/**
 * The verdict of a request whose URL carried (or may have carried) basic-auth credentials. With
 * `credentials`: the URL with them first, then without, as dev always did. Without, for a
 * request captured in a basic-auth session: the URL as captured, and when that fails the
 * verdict says the password is missing rather than a bare "invalid".
 */
export function verifyWithBasicAuth(options: ExplainOptions, context: CredentialsContext = {}): CredentialsVerdict {
  const { credentials, captured } = context;
  if (!credentials && !captured) return verifyAndExplain(options);
  const capturedUser = captured ? credentialsUser(captured.credentialedUrl) : undefined;
  const shape = captured ? maskUrl(captured.credentialedUrl) : undefined;

  if (!credentials) {
    const v: CredentialsVerdict = verifyAndExplain(options);
    if (v.valid) return matched(v, 'without-credentials');
    if (v.verdict !== 'invalid') return v;
    v.basicAuth = 'missing';
    v.reason =
      captured!.matchedUrl === 'with-credentials'
        ? `signed over a URL with basic-auth credentials (${shape}): ${PASS_BASIC_AUTH}`
        : `invalid without the basic-auth credentials, not checked with them (${shape}): ${PASS_BASIC_AUTH}` +
          (v.reason ? `; without them: ${v.reason}` : '');
    return v;
  }

  const otherUser =
    capturedUser !== undefined && capturedUser !== credentials.username
      ? ` (captured with the user "${capturedUser}", --basic-auth gives "${credentials.username}")`
      : '';
  const first: CredentialsVerdict = verifyAndExplain({
    ...options,
    url: withCredentials(options.url, credentials),
    explain: false,
  });
  if (first.valid) return matched(first, 'with-credentials', otherUser);
  if (first.verdict === 'unsigned') return { ...first, reason: first.reason ?? 'no X-Twilio-Signature header' };
  const second: CredentialsVerdict = verifyAndExplain(options);
  if (second.valid) return matched(second, 'without-credentials', otherUser);
  const hint =
    otherUser ||
    (captured?.matchedUrl === 'with-credentials'
      ? "; dev matched it with its session's credentials: check the --basic-auth password"
      : '');
  second.reason = `${second.reason ?? 'invalid signature'} (checked the URL with and without the basic-auth credentials)${hint}`;
  return second;
}

function matched(v: CredentialsVerdict, match: CredentialsMatch, note = ''): CredentialsVerdict {
  v.basicAuth = match;
  v.reason = `signature matches the URL ${match === 'with-credentials' ? 'with' : 'without'} the basic-auth credentials${note}`;
  return v;
}
