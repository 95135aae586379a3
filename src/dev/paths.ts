/**
 * Where a dev session's requests go: one path, public and local. An app that rebuilds its URL
 * from X-Forwarded-Proto/Host and the path it received (Express, Django, Rails) must compute the
 * URL Twilio signed, so the path Twilio requests and the path the app receives are the same:
 * `twhook dev http://localhost:8080/twilio` points the numbers at https://<tunnel>/twilio/sms and
 * forwards /twilio/sms unchanged.
 *
 * A `--public-url` with a path (https://example.test/base) is served by the user's own tunnel,
 * which may pass the path on (/base/sms) or strip its base (/sms): both are recognised, and the
 * signature is checked over the full public URL the request arrived at.
 */

export interface PathPlan {
  /** The public URL's origin: https://example.test */
  publicOrigin: string;
  /** The public URL's path without its trailing slash: '' or /base */
  publicBase: string;
  /** The app's base path without its trailing slash: '' or /twilio */
  appBase: string;
}

export function planPaths(publicUrl: string, target: string): PathPlan {
  const pub = new URL(publicUrl);
  return {
    publicOrigin: pub.origin,
    publicBase: trimSlashes(pub.pathname),
    appBase: trimSlashes(new URL(target).pathname),
  };
}

/** The public path a number's field points at (`path`: /sms as given to --sms). */
export function numberPath(plan: PathPlan, path: string): string {
  const { publicBase, appBase } = plan;
  // One base inside the other: the longer is the path both sides see.
  if (isUnder(appBase, publicBase)) return appBase + path;
  if (isUnder(publicBase, appBase)) return publicBase + path;
  // Bases that cannot agree (public /base, app /twilio): the public base, then the app's.
  return publicBase + appBase + path;
}

/** The public path (and query) of a request that reached the proxy at `requestPath`. */
export function publicPathOf(plan: PathPlan, requestPath: string): string {
  // The tunnel passed the whole path on, or stripped the public base (then it is put back).
  return isUnder(pathname(requestPath), plan.publicBase) ? requestPath : plan.publicBase + requestPath;
}

/** The path (and query) the app receives for a request whose public path is `publicPath`. */
export function appPathOf(plan: PathPlan, publicPath: string): string {
  const { publicBase, appBase } = plan;
  if (isUnder(pathname(publicPath), appBase)) return publicPath;
  const below =
    publicBase && isUnder(pathname(publicPath), publicBase) ? publicPath.slice(publicBase.length) || '/' : publicPath;
  if (isUnder(pathname(below), appBase)) return below;
  // Outside the app's base (a URL set by hand, an old configuration): under the base, as given.
  return appBase + below;
}

/** True when `path` is `base` or below it ('' is the root: everything is below it). */
export function isUnder(path: string, base: string): boolean {
  return base === '' || path === base || path.startsWith(base + '/');
}

function pathname(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  return q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
}

function trimSlashes(path: string): string {
  return path.replace(/\/+$/, '');
}
