import { request } from 'node:http';

export interface Fetched {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request to the inspector (loopback), with any Host, Origin or token a test wants. */
export function fetchRaw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Fetched> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        agent: false,
        headers: { Host: target.host, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The page's token, as the page reads it. */
export async function pageToken(base: string): Promise<string> {
  const page = await fetchRaw(base);
  const token = /<meta name="twhook-token" content="([^"]+)">/.exec(page.text)?.[1];
  if (!token) throw new Error(`no token in the page: ${page.text.slice(0, 200)}`);
  return token;
}

/** POSTs to the API as the page does (token, same Origin, JSON). */
export async function postAsPage(base: string, path: string, body: unknown = {}): Promise<Fetched> {
  const token = await pageToken(base);
  const origin = new URL(base).origin;
  return fetchRaw(new URL(path, base).href, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Twhook-Token': token, Origin: origin },
    body: JSON.stringify(body),
  });
}

/**
 * Everything the inspector serves for its current requests, labelled: the page and its assets,
 * the session, the list, each record and detail, the downloads, and a replay and a curl command
 * of each request (when replay is on). For secret scans.
 */
export async function everythingServed(base: string): Promise<{ label: string; text: string }[]> {
  const out: { label: string; text: string }[] = [];
  const get = async (path: string) => {
    const r = await fetchRaw(new URL(path, base).href);
    out.push({ label: `inspector GET ${path}`, text: r.text });
    return r;
  };
  for (const path of ['/', '/app.js', '/app.css', '/api/session', '/api/download.jsonl', '/api/download.har'])
    await get(path);
  const list = JSON.parse((await get('/api/requests')).text) as { requests: { id: string }[] };
  const session = JSON.parse((await fetchRaw(new URL('/api/session', base).href)).text) as {
    replay: { available: boolean };
  };
  for (const { id } of list.requests) {
    await get(`/api/requests/${id}`);
    await get(`/api/requests/${id}/detail`);
    if (session.replay.available) {
      for (const action of ['replay', 'curl']) {
        const r = await postAsPage(base, `/api/requests/${id}/${action}`, {});
        out.push({ label: `inspector POST /api/requests/${id}/${action}`, text: r.text });
      }
    }
  }
  return out;
}
