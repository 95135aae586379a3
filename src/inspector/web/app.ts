/**
 * The inspector page: plain DOM, no framework, no inline script (the CSP forbids it). Every text
 * from a request goes in through textContent, never innerHTML. Data comes from one server-sent
 * event stream (a snapshot, then each request); the detail view fetches /api/requests/:id/detail.
 */

interface Summary {
  id: string;
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  kind: string;
  gist: string;
  verdict: { status: 'valid' | 'invalid' | 'unsigned' | 'unchecked'; reason: string };
  response: { status: number; ms: number | null } | null;
  outcome?: string;
  failure?: string;
  retryOf?: string;
  replayOf?: string;
  expectsTwiml: boolean;
  twimlOk?: boolean;
  twilioError?: { code: number; message: string };
  contentType?: string;
  conversation?: { key: string; type: 'call' | 'messages'; label: string };
  warnings?: string[];
}

interface SessionInfo {
  mode: 'dev' | 'files';
  publicUrl?: string;
  target?: string;
  files?: string[];
  capture?: string | null;
  keep: number;
  dropped: number;
  replay: { available: boolean; to?: string; signed?: boolean; why?: string };
}

interface Detail {
  summary: Summary;
  url: string;
  params: { name: string; value: string; meaning?: string; from: 'body' | 'query' }[];
  rawOnly: boolean;
  headers: [string, string][];
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  signature: { status: string; reason: string; header?: string };
  answer: {
    status: number;
    ms: number | null;
    contentType?: string;
    headers: [string, string][];
    body: string;
    bodyEncoding: 'utf8' | 'base64';
    isXml: boolean;
  } | null;
  twiml?: { ok: boolean; problems: string[]; verbs?: string[]; error?: { code: number; message: string; url: string } };
  hear: { available: boolean; channel?: string; reading?: unknown; note?: string };
}

interface ReplayOutcome {
  sent: { method: string; url: string; signedFor?: string; headers: [string, string][]; body: string };
  answer?: {
    status: number;
    ms: number;
    contentType?: string;
    headers: [string, string][];
    body: string;
    bodyEncoding: string;
    truncated: boolean;
  };
  failure?: { code: string; message: string };
  twiml?: { ok: boolean; problems: string[]; twilioError?: { code: number; message: string } };
  captured: { status: number; contentType?: string; body: string } | null;
  sameStatus: boolean | null;
  sameBody: boolean | null;
  notes: string[];
}

// ---- tiny DOM helpers ----

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const token = document.querySelector<HTMLMetaElement>('meta[name="twhook-token"]')?.content ?? '';

function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '—';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function verdictBadge(v: Summary['verdict']): HTMLElement {
  const text =
    v.status === 'valid'
      ? '✓ valid'
      : v.status === 'invalid'
        ? '✗ invalid'
        : v.status === 'unsigned'
          ? '✗ unsigned'
          : 'unchecked';
  return h('span', { class: `badge v-${v.status}`, title: v.reason }, text);
}

function statusClass(s: Summary): string {
  if (!s.response) return 'st-none';
  if (s.outcome && s.outcome !== 'answered' && s.outcome !== 'challenged') return 'st-5';
  return `st-${String(s.response.status)[0]}`;
}

function statusBadge(s: Summary): HTMLElement {
  if (!s.response) return h('span', { class: 'badge st-none' }, '—');
  const label = s.outcome && s.outcome !== 'answered' ? `${s.response.status} ${s.outcome}` : String(s.response.status);
  return h('span', { class: `badge ${statusClass(s)}`, title: s.failure ?? '' }, label);
}

function hasProblem(s: Summary): boolean {
  return (
    s.verdict.status === 'invalid' ||
    s.verdict.status === 'unsigned' ||
    s.twimlOk === false ||
    !!s.failure ||
    !!s.twilioError ||
    (s.response?.status ?? 200) >= 400
  );
}

// ---- state ----

const requests = new Map<string, Summary>();
const rows = new Map<string, HTMLTableRowElement>();
let session: SessionInfo | undefined;
let selected: string | undefined;
let view: 'list' | 'groups' = 'list';
const kinds = new Set<string>();

const filters = {
  kind: $<HTMLSelectElement>('f-kind'),
  verdict: $<HTMLSelectElement>('f-verdict'),
  status: $<HTMLSelectElement>('f-status'),
  path: $<HTMLInputElement>('f-path'),
  text: $<HTMLInputElement>('f-text'),
};

function matches(s: Summary): boolean {
  if (filters.kind.value && s.kind !== filters.kind.value) return false;
  if (filters.verdict.value && s.verdict.status !== filters.verdict.value) return false;
  const st = filters.status.value;
  if (st === 'problem' && !hasProblem(s)) return false;
  if (st && st !== 'problem' && String(s.response?.status ?? '')[0] !== st) return false;
  const path = filters.path.value.trim();
  if (path && !s.path.toLowerCase().includes(path.toLowerCase())) return false;
  const text = filters.text.value.trim().toLowerCase();
  if (text) {
    const hay =
      `${s.method} ${s.path} ${s.kind} ${s.gist} ${s.verdict.reason} ${s.failure ?? ''} ${s.conversation?.label ?? ''} ${s.id}`.toLowerCase();
    if (!hay.includes(text)) return false;
  }
  return true;
}

// ---- the list ----

function row(s: Summary): HTMLTableRowElement {
  const tr = h(
    'tr',
    { class: hasProblem(s) ? 'problem' : '', 'data-id': s.id, tabindex: '0' },
    h('td', { class: 'mono dim', title: s.receivedAt }, time(s.receivedAt).slice(0, 8)),
    h('td', { class: 'mono' }, s.method),
    h('td', { class: 'mono path' }, s.path),
    h('td', {}, h('span', { class: `kind k-${s.kind}` }, s.kind)),
    h(
      'td',
      { class: 'gist', title: s.gist },
      s.gist,
      s.retryOf ? h('span', { class: 'retry', title: `Twilio retried ${s.retryOf}` }, ' ↻ retry') : null,
      s.replayOf ? h('span', { class: 'replayed', title: `replay of ${s.replayOf}` }, ' ⟲ replay') : null,
    ),
    h('td', {}, verdictBadge(s.verdict)),
    h(
      'td',
      {},
      statusBadge(s),
      s.twimlOk === false ? h('span', { class: 'badge st-4', title: 'TwiML problem' }, 'TwiML') : null,
    ),
    h(
      'td',
      { class: 'num mono dim' },
      s.response?.ms === null || s.response?.ms === undefined ? '' : String(s.response.ms),
    ),
  );
  if (s.id === selected) tr.classList.add('selected');
  if (!matches(s)) tr.hidden = true;
  return tr;
}

function addRequest(s: Summary, batch?: DocumentFragment): void {
  const old = rows.get(s.id);
  requests.set(s.id, s);
  const tr = row(s);
  rows.set(s.id, tr);
  if (old) old.replaceWith(tr);
  else if (batch) batch.prepend(tr);
  else $('rows').prepend(tr);
  if (!kinds.has(s.kind)) {
    kinds.add(s.kind);
    const options = [...kinds].sort().map((k) => h('option', { value: k }, k));
    const current = filters.kind.value;
    filters.kind.replaceChildren(h('option', { value: '' }, 'any kind'), ...options);
    filters.kind.value = current;
  }
}

function trim(): void {
  // The server keeps the last N; so does the page.
  const keep = session?.keep ?? 1000;
  while (requests.size > keep) {
    const oldest = requests.keys().next().value as string;
    requests.delete(oldest);
    rows.get(oldest)?.remove();
    rows.delete(oldest);
  }
}

let countsQueued = false;
function refreshCounts(): void {
  if (countsQueued) return;
  countsQueued = true;
  requestAnimationFrame(() => {
    countsQueued = false;
    let shown = 0;
    for (const tr of rows.values()) if (!tr.hidden) shown++;
    $('count').textContent = shown === requests.size ? String(requests.size) : `${shown}/${requests.size}`;
    $('group-count').textContent = String(groupsOf().length);
    $('empty').hidden = requests.size > 0;
    $('empty').textContent = session?.mode === 'files' ? 'No requests in these files.' : 'Waiting for webhooks…';
    if (view === 'groups') renderGroups();
    const dropped = session?.dropped ?? 0;
    const note = $('dropped');
    note.hidden = dropped === 0;
    if (dropped) {
      note.textContent = `Showing the last ${session?.keep ?? 1000} requests: ${dropped} older ${dropped === 1 ? 'one was' : 'ones were'} dropped from memory (the capture file keeps them all).`;
    }
  });
}

function applyFilters(): void {
  for (const [id, tr] of rows) tr.hidden = !matches(requests.get(id)!);
  refreshCounts();
}

// ---- conversations ----

interface Group {
  key: string;
  label: string;
  type: string;
  items: Summary[];
}

function groupsOf(): Group[] {
  const groups = new Map<string, Group>();
  for (const s of requests.values()) {
    if (!matches(s)) continue;
    const c = s.conversation ?? { key: `single:${s.id}`, type: 'other', label: `${s.method} ${s.path}` };
    let g = groups.get(c.key);
    if (!g) groups.set(c.key, (g = { key: c.key, label: c.label, type: c.type, items: [] }));
    g.items.push(s);
  }
  const list = [...groups.values()].filter((g) => g.type !== 'other');
  for (const g of list) g.items.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.seq - b.seq);
  // Latest activity first.
  return list.sort((a, b) =>
    b.items[b.items.length - 1]!.receivedAt.localeCompare(a.items[a.items.length - 1]!.receivedAt),
  );
}

function offset(from: string, to: string): string {
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!Number.isFinite(ms)) return '';
  return ms < 1000 ? `+${ms} ms` : `+${(ms / 1000).toFixed(1)} s`;
}

function renderGroups(): void {
  const groups = groupsOf();
  const container = $('groups-view');
  if (!groups.length) {
    container.replaceChildren(
      h(
        'p',
        { class: 'empty' },
        'No calls or conversations yet: requests with a CallSid or a MessageSid are grouped here.',
      ),
    );
    return;
  }
  container.replaceChildren(
    ...groups.map((g) => {
      const first = g.items[0]!;
      const problems = g.items.filter(hasProblem).length;
      return h(
        'article',
        { class: `group g-${g.type}`, 'data-key': g.key },
        h(
          'header',
          {},
          h('span', { class: `gicon ${g.type}` }, g.type === 'call' ? '☎' : '✉'),
          h('strong', {}, g.label),
          h(
            'span',
            { class: 'dim' },
            ` · ${g.items.length} request${g.items.length === 1 ? '' : 's'} · ${time(first.receivedAt)}`,
          ),
          problems ? h('span', { class: 'badge st-5' }, `${problems} with problems`) : null,
        ),
        h(
          'ol',
          { class: 'timeline' },
          ...g.items.map((s) =>
            h(
              'li',
              {
                class: `step${hasProblem(s) ? ' problem' : ''}${s.id === selected ? ' selected' : ''}`,
                'data-id': s.id,
                tabindex: '0',
              },
              h('span', { class: 'dot' }),
              h('span', { class: 'mono dim when' }, offset(first.receivedAt, s.receivedAt)),
              h('span', { class: `kind k-${s.kind}` }, s.kind),
              h('span', { class: 'mono path' }, s.path),
              h('span', { class: 'gist' }, s.gist),
              verdictBadge(s.verdict),
              statusBadge(s),
              s.twimlOk === false ? h('span', { class: 'badge st-4' }, 'TwiML') : null,
            ),
          ),
        ),
      );
    }),
  );
}

function setView(next: 'list' | 'groups'): void {
  view = next;
  $('list-view').hidden = next !== 'list';
  $('groups-view').hidden = next !== 'groups';
  $('tab-list').classList.toggle('active', next === 'list');
  $('tab-groups').classList.toggle('active', next === 'groups');
  $('tab-list').setAttribute('aria-selected', String(next === 'list'));
  $('tab-groups').setAttribute('aria-selected', String(next === 'groups'));
  if (next === 'groups') renderGroups();
}

// ---- TwiML and XML, pretty and highlighted ----

function prettyXml(source: string): HTMLElement | undefined {
  const doc = new DOMParser().parseFromString(source, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length || !doc.documentElement) return undefined;
  const out = h('pre', { class: 'code xml' });
  const indent = (n: number) => '  '.repeat(n);
  const walk = (node: Element, depth: number) => {
    const children = [...node.childNodes].filter(
      (c) =>
        c.nodeType === Node.ELEMENT_NODE ||
        (c.nodeType === Node.TEXT_NODE && c.textContent!.trim()) ||
        c.nodeType === Node.CDATA_SECTION_NODE,
    );
    const open = () => {
      out.append(indent(depth), h('span', { class: 'x-p' }, '<'), h('span', { class: 'x-tag' }, node.tagName));
      for (const attr of [...node.attributes]) {
        out.append(
          ' ',
          h('span', { class: 'x-attr' }, attr.name),
          h('span', { class: 'x-p' }, '="'),
          h('span', { class: 'x-val' }, attr.value),
          h('span', { class: 'x-p' }, '"'),
        );
      }
    };
    open();
    if (!children.length) {
      out.append(h('span', { class: 'x-p' }, '/>'), '\n');
      return;
    }
    const onlyText = children.every((c) => c.nodeType !== Node.ELEMENT_NODE);
    out.append(h('span', { class: 'x-p' }, '>'));
    if (onlyText) {
      out.append(h('span', { class: 'x-text' }, children.map((c) => c.textContent!.trim()).join(' ')));
    } else {
      out.append('\n');
      for (const c of children) {
        if (c.nodeType === Node.ELEMENT_NODE) walk(c as Element, depth + 1);
        else out.append(indent(depth + 1), h('span', { class: 'x-text' }, c.textContent!.trim()), '\n');
      }
      out.append(indent(depth));
    }
    out.append(
      h('span', { class: 'x-p' }, '</'),
      h('span', { class: 'x-tag' }, node.tagName),
      h('span', { class: 'x-p' }, '>'),
      '\n',
    );
  };
  walk(doc.documentElement, 0);
  return out;
}

/** The text of prettyXml (for diffs), or the body as is. */
function prettyText(body: string): string {
  return prettyXml(body)?.textContent ?? body;
}

function codeBlock(body: string, isXml: boolean, encoding = 'utf8'): HTMLElement {
  if (encoding === 'base64') return h('pre', { class: 'code' }, `(binary, base64)\n${body}`);
  if (!body) return h('p', { class: 'dim' }, '(empty body)');
  if (isXml) {
    const pretty = prettyXml(body);
    if (pretty) return pretty;
  }
  if (/^\s*[[{]/.test(body)) {
    try {
      return h('pre', { class: 'code' }, JSON.stringify(JSON.parse(body), null, 2));
    } catch {
      // not JSON after all
    }
  }
  return h('pre', { class: 'code' }, body);
}

// ---- a line diff (LCS), for a replay's answer beside the captured one ----

function diffLines(a: string[], b: string[]): { op: ' ' | '-' | '+'; line: string }[] {
  const n = a.length;
  const m = b.length;
  if (n * m > 250_000)
    return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      table[i]![j] = a[i] === b[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
  const out: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) out.push({ op: '-', line: a[i++]! });
    else out.push({ op: '+', line: b[j++]! });
  }
  while (i < n) out.push({ op: '-', line: a[i++]! });
  while (j < m) out.push({ op: '+', line: b[j++]! });
  return out;
}

function diffView(captured: string, fresh: string): HTMLElement {
  const lines = diffLines(
    prettyText(captured).replace(/\n$/, '').split('\n'),
    prettyText(fresh).replace(/\n$/, '').split('\n'),
  );
  return h(
    'pre',
    { class: 'code diff' },
    ...lines.map((l) =>
      h('span', { class: l.op === '+' ? 'd-add' : l.op === '-' ? 'd-del' : 'd-same' }, `${l.op} ${l.line}\n`),
    ),
  );
}

// ---- the detail view ----

async function api<T>(path: string, init?: { method: string; body?: unknown }): Promise<T> {
  const res = await fetch(path, {
    method: init?.method ?? 'GET',
    headers: init ? { 'Content-Type': 'application/json', 'X-Twhook-Token': token } : {},
    ...(init?.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const value = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(value.error ?? `HTTP ${res.status}`);
  return value;
}

function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h3', {}, title), ...children);
}

function table(head: string[], body: Child[][], cls = ''): HTMLTableElement {
  return h(
    'table',
    { class: `kv ${cls}` },
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...body.map((cells) => h('tr', {}, ...cells.map((c) => h('td', {}, c))))),
  );
}

function select(id: string | undefined): void {
  selected = id;
  for (const el of document.querySelectorAll('.selected')) el.classList.remove('selected');
  if (!id) return;
  rows.get(id)?.classList.add('selected');
  for (const el of document.querySelectorAll(`.step[data-id="${CSS.escape(id)}"]`)) el.classList.add('selected');
  void showDetail(id);
}

let detailRequest = 0;
async function showDetail(id: string): Promise<void> {
  const mine = ++detailRequest;
  const pane = $('detail');
  pane.replaceChildren(h('div', { class: 'placeholder' }, 'Loading…'));
  let d: Detail;
  try {
    d = await api<Detail>(`/api/requests/${encodeURIComponent(id)}/detail`);
  } catch (err) {
    if (mine === detailRequest) pane.replaceChildren(h('div', { class: 'placeholder' }, (err as Error).message));
    return;
  }
  if (mine !== detailRequest) return;
  pane.replaceChildren(...detailView(d));
  pane.scrollTop = 0;
}

function detailView(d: Detail): HTMLElement[] {
  const s = d.summary;
  const replay = session?.replay;
  const replayHint = replay?.available ? `sends it to ${replay.to}` : (replay?.why ?? 'replay is not available');
  const result = h('div', { id: 'replay-result' });
  const head = h(
    'div',
    { class: 'detail-head' },
    h(
      'div',
      { class: 'title' },
      h('span', { class: 'mono method' }, s.method),
      ' ',
      h('span', { class: 'mono' }, s.path),
    ),
    h(
      'div',
      { class: 'meta' },
      h('span', { class: `kind k-${s.kind}` }, s.kind),
      ' ',
      s.gist,
      ' · ',
      time(s.receivedAt),
      ' · ',
      statusBadge(s),
      s.response?.ms !== null && s.response?.ms !== undefined ? ` ${s.response.ms} ms` : '',
      s.retryOf ? h('span', { class: 'retry' }, ` ↻ retry of ${s.retryOf}`) : null,
      s.replayOf ? h('span', { class: 'replayed' }, ` ⟲ replay of ${s.replayOf}`) : null,
    ),
    h(
      'div',
      { class: 'actions' },
      button('Replay', 'primary', !replay?.available, replayHint, () => void doReplay(d, undefined, result)),
      button('Replay with edits', '', !replay?.available, replayHint, () => editMode(d, result)),
      button(
        'Copy as curl',
        '',
        !replay?.available,
        replay?.available ? 'a signed curl command (signed by twhook; the token stays on the server)' : replayHint,
        () => void copyCurl(d, undefined, result),
      ),
    ),
  );

  const out: HTMLElement[] = [head, result];
  if (s.failure || s.warnings?.length) {
    out.push(h('div', { class: 'alert' }, s.failure ?? '', ...(s.warnings ?? []).map((w) => h('div', {}, w))));
  }

  const sig = d.signature;
  out.push(
    section(
      'Signature',
      h(
        'p',
        { class: 'verdict' },
        verdictBadge({ status: sig.status as Summary['verdict']['status'], reason: sig.reason }),
        ' ',
        h('span', { class: 'reason' }, sig.reason),
      ),
      h(
        'p',
        { class: 'dim small' },
        'X-Twilio-Signature: ',
        h('span', { class: 'mono' }, sig.header ?? '(none)'),
        ' · signed URL: ',
        h('span', { class: 'mono' }, d.url),
      ),
    ),
  );

  if (d.params.length) {
    out.push(
      section(
        'Parameters',
        table(
          ['name', 'value', 'meaning'],
          d.params.map((p) => [
            h(
              'span',
              { class: 'mono pname' },
              p.name,
              p.from === 'query' ? h('span', { class: 'dim' }, ' (query)') : null,
            ),
            h('span', { class: 'mono pval' }, p.value),
            h('span', { class: 'dim' }, p.meaning ?? ''),
          ]),
          'params',
        ),
      ),
    );
  }

  const a = d.answer;
  const answerCard = section('Answer');
  if (!a) answerCard.append(h('p', { class: 'dim' }, 'No answer was captured.'));
  else {
    answerCard.append(
      h(
        'p',
        {},
        statusBadge(s),
        ' ',
        h('span', { class: 'mono dim' }, a.contentType ?? 'no Content-Type'),
        a.ms !== null ? h('span', { class: 'dim' }, ` · ${a.ms} ms`) : '',
      ),
    );
    answerCard.append(codeBlock(a.body, a.isXml, a.bodyEncoding));
  }
  if (d.twiml) {
    const t = d.twiml;
    if (t.ok)
      answerCard.append(
        h(
          'p',
          { class: 'ok' },
          '✓ TwiML check: Twilio would run this answer without an error',
          t.verbs?.length ? ` (${t.verbs.join(', ')})` : '',
        ),
      );
    else {
      answerCard.append(
        h(
          'div',
          { class: 'findings' },
          h(
            'p',
            {},
            h('strong', {}, 'TwiML check'),
            t.error ? ' · Twilio would log ' : '',
            t.error
              ? h(
                  'a',
                  { href: t.error.url, target: '_blank', rel: 'noopener noreferrer' },
                  `error ${t.error.code} ${t.error.message}`,
                )
              : '',
          ),
          h('ul', {}, ...t.problems.map((p) => h('li', {}, p))),
        ),
      );
    }
  }
  out.push(answerCard);

  if (d.hear.channel) {
    const title = d.hear.channel === 'voice' ? 'What a caller would hear' : 'What the sender would read';
    out.push(
      section(
        title,
        d.hear.available ? readingView(d.hear.reading) : h('p', { class: 'dim' }, d.hear.note ?? 'not available'),
      ),
    );
  }

  out.push(
    h(
      'details',
      { class: 'card' },
      h('summary', {}, `Request headers (${d.headers.length})`),
      table(
        ['name', 'value'],
        d.headers.map(([n, v]) => [h('span', { class: 'mono' }, n), h('span', { class: 'mono' }, v)]),
      ),
    ),
    h('details', { class: 'card' }, h('summary', {}, 'Raw request body'), codeBlock(d.body, false, d.bodyEncoding)),
  );
  if (a) {
    out.push(
      h(
        'details',
        { class: 'card' },
        h('summary', {}, `Answer headers (${a.headers.length})`),
        table(
          ['name', 'value'],
          a.headers.map(([n, v]) => [h('span', { class: 'mono' }, n), h('span', { class: 'mono' }, v)]),
        ),
      ),
    );
  }
  return out;
}

/** One event of the simulator's reading (src/simulate/events.ts), as a sentence. */
function simLine(e: Record<string, unknown>): HTMLElement {
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const quote = (v: unknown) => h('q', {}, str(v));
  const loop = (n: unknown) => (typeof n === 'number' && n !== 1 ? (n === 0 ? ' (looping)' : ` (${n} times)`) : '');
  switch (e.type) {
    case 'say':
      return h(
        'li',
        { class: 'sim say' },
        h('span', { class: 'sim-icon' }, '»'),
        'Says ',
        quote(e.text),
        h(
          'span',
          { class: 'dim' },
          [e.voice, e.language].filter(Boolean).length ? ` · ${[e.voice, e.language].filter(Boolean).join(', ')}` : '',
          loop(e.loop),
        ),
      );
    case 'play':
      return h(
        'li',
        { class: 'sim' },
        h('span', { class: 'sim-icon' }, '♪'),
        e.digits ? `Plays the tones ${str(e.digits)}` : 'Plays ',
        e.url ? h('span', { class: 'mono' }, str(e.url)) : '',
        h('span', { class: 'dim' }, loop(e.loop)),
      );
    case 'pause':
      return h('li', { class: 'sim' }, h('span', { class: 'sim-icon' }, '‖'), `Silence for ${str(e.length)} s`);
    case 'gather':
      return h(
        'li',
        { class: 'sim' },
        h('span', { class: 'sim-icon' }, '#'),
        `Waits for the caller (${str(e.input)}${e.numDigits ? `, ${str(e.numDigits)} digit${e.numDigits === 1 ? '' : 's'}` : ''}, ${str(e.timeout)} s), then requests `,
        h('span', { class: 'mono' }, str(e.action)),
      );
    case 'record':
      return h(
        'li',
        { class: 'sim' },
        h('span', { class: 'sim-icon' }, '●'),
        `Records up to ${str(e.maxLength)} s, then requests `,
        h('span', { class: 'mono' }, str(e.action)),
      );
    case 'dial':
      return h(
        'li',
        { class: 'sim' },
        h('span', { class: 'sim-icon' }, '☎'),
        'Dials ',
        h('span', { class: 'mono' }, (Array.isArray(e.to) ? e.to : []).join(', ')),
        e.action ? h('span', {}, ', then requests ', h('span', { class: 'mono' }, str(e.action))) : '',
      );
    case 'enqueue':
      return h('li', { class: 'sim' }, h('span', { class: 'sim-icon' }, '…'), `Waits in the queue ${str(e.queue)}`);
    case 'redirect':
      return h(
        'li',
        { class: 'sim' },
        h('span', { class: 'sim-icon' }, '↪'),
        `Goes on with ${str(e.method)} `,
        h('span', { class: 'mono' }, str(e.url)),
      );
    case 'hangup':
      return h('li', { class: 'sim' }, h('span', { class: 'sim-icon' }, '✕'), 'Hangs up');
    case 'reject':
      return h('li', { class: 'sim' }, h('span', { class: 'sim-icon' }, '⊘'), `Rejects the call (${str(e.reason)})`);
    case 'message':
      return h(
        'li',
        { class: 'sim say' },
        h('span', { class: 'sim-icon' }, '✉'),
        'Replies ',
        quote(e.body),
        Array.isArray(e.media) && e.media.length ? h('span', { class: 'dim' }, ` + ${e.media.length} media`) : '',
      );
    case 'unsupported':
      return h('li', { class: 'sim dim' }, h('span', { class: 'sim-icon' }, '?'), `<${str(e.verb)}> is not simulated`);
    case 'error':
      return h(
        'li',
        { class: 'sim error' },
        h('span', { class: 'sim-icon' }, '✗'),
        `Twilio error ${str(e.code)}: ${str(e.message)}`,
      );
    default:
      return h('li', { class: 'sim' }, h('span', { class: 'sim-icon' }, '·'), JSON.stringify(e));
  }
}

/** The simulator's reading: its events as sentences (text or other shapes shown plainly). */
function readingView(reading: unknown): HTMLElement {
  if (typeof reading === 'string') return h('pre', { class: 'code hear' }, reading);
  if (Array.isArray(reading)) {
    if (!reading.length)
      return h('p', { class: 'dim' }, 'Nothing: the answer is empty (no reply, or silence then the call ends).');
    return h(
      'ol',
      { class: 'hear' },
      ...reading.map((r) =>
        r && typeof r === 'object' ? simLine(r as Record<string, unknown>) : h('li', {}, String(r)),
      ),
    );
  }
  const lines = (reading as { lines?: unknown })?.lines;
  if (Array.isArray(lines)) return readingView(lines);
  return h('pre', { class: 'code hear' }, JSON.stringify(reading, null, 2));
}

function button(label: string, cls: string, disabled: boolean, title: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: `btn ${cls}`, title, disabled }, label);
  b.addEventListener('click', onClick);
  return b;
}

function editMode(d: Detail, result: HTMLElement): void {
  if (d.rawOnly) {
    const area = h('textarea', { class: 'code edit-body', rows: '12', spellcheck: 'false' });
    area.value = d.body;
    result.replaceChildren(
      section(
        'Replay with edits',
        h('p', { class: 'dim small' }, 'Edit the body; twhook signs it again on the server.'),
        area,
        h(
          'div',
          { class: 'actions' },
          button('Send', 'primary', false, '', () => void doReplay(d, { body: area.value }, result)),
          button('Copy as curl', '', false, '', () => void copyCurl(d, { body: area.value }, result)),
          button('Cancel', 'ghost', false, '', () => result.replaceChildren()),
        ),
      ),
    );
    return;
  }
  const body = d.params.filter((p) => p.from === 'body');
  const tbody = h('tbody', {});
  const addRow = (name: string, value: string) => {
    const n = h('input', { class: 'mono', value: name, 'aria-label': 'name', spellcheck: 'false' });
    const v = h('input', { class: 'mono', value, 'aria-label': `value of ${name}`, spellcheck: 'false' });
    const remove = button('✕', 'ghost small', false, 'remove this parameter', () => tr.remove());
    const tr = h('tr', {}, h('td', {}, n), h('td', {}, v), h('td', {}, remove));
    tbody.append(tr);
  };
  for (const p of body) addRow(p.name, p.value);
  const collect = (): [string, string][] =>
    [...tbody.querySelectorAll('tr')]
      .map((tr) => {
        const [n, v] = tr.querySelectorAll('input');
        return [n!.value, v!.value] as [string, string];
      })
      .filter(([n]) => n !== '');
  result.replaceChildren(
    section(
      'Replay with edits',
      h('p', { class: 'dim small' }, 'Change, add or remove parameters; twhook signs the request again on the server.'),
      h(
        'table',
        { class: 'kv edit' },
        h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'value'), h('th', {}))),
        tbody,
      ),
      h(
        'div',
        { class: 'actions' },
        button('+ parameter', 'ghost', false, '', () => addRow('', '')),
        button(
          'Send',
          'primary',
          false,
          'send the edited request',
          () => void doReplay(d, { params: collect() }, result),
        ),
        button('Copy as curl', '', false, '', () => void copyCurl(d, { params: collect() }, result)),
        button('Cancel', 'ghost', false, '', () => result.replaceChildren()),
      ),
    ),
  );
}

async function doReplay(d: Detail, edits: unknown, result: HTMLElement): Promise<void> {
  const editor = edits ? result.firstElementChild : null;
  const status = h('div', { class: 'card' }, h('p', { class: 'dim' }, 'Replaying…'));
  result.replaceChildren(...(editor ? [editor] : []), status);
  let r: ReplayOutcome;
  try {
    r = await api<ReplayOutcome>(`/api/requests/${encodeURIComponent(d.summary.id)}/replay`, {
      method: 'POST',
      body: edits ?? {},
    });
  } catch (err) {
    status.replaceChildren(h('h3', {}, 'Replay'), h('p', { class: 'error' }, (err as Error).message));
    return;
  }
  status.replaceWith(replayView(r, !!edits));
}

function replayView(r: ReplayOutcome, edited: boolean): HTMLElement {
  const card = h('section', { class: 'card replay' }, h('h3', {}, edited ? 'Replay with edits' : 'Replay'));
  card.append(
    h(
      'p',
      { class: 'dim small' },
      `${r.sent.method} ${r.sent.url}`,
      r.sent.signedFor ? ` · signed for ${r.sent.signedFor}` : '',
    ),
  );
  for (const note of r.notes) card.append(h('p', { class: 'warn small' }, note));
  if (r.failure) {
    card.append(h('p', { class: 'error' }, `✗ ${r.failure.message}`));
    return card;
  }
  const a = r.answer!;
  const same =
    r.sameStatus === null
      ? ''
      : r.sameStatus && r.sameBody
        ? 'same answer as captured'
        : 'the answer differs from the captured one';
  card.append(
    h(
      'p',
      { class: 'replay-status' },
      h('span', { class: `badge st-${String(a.status)[0]}` }, String(a.status)),
      ` ${a.ms} ms · `,
      h('span', { class: r.sameStatus && r.sameBody ? 'ok' : 'warn' }, same || 'nothing captured to compare with'),
    ),
  );
  if (r.twiml && !r.twiml.ok)
    card.append(h('ul', { class: 'findings' }, ...r.twiml.problems.map((p) => h('li', {}, p))));
  const capturedBody = r.captured?.body ?? '';
  const freshBody = a.bodyEncoding === 'base64' ? `(binary, base64) ${a.body}` : a.body;
  card.append(
    h(
      'div',
      { class: 'side' },
      h(
        'div',
        {},
        h('h4', {}, `captured${r.captured ? ` · ${r.captured.status}` : ''}`),
        codeBlock(capturedBody, true),
      ),
      h('div', {}, h('h4', {}, `replayed · ${a.status}`), codeBlock(freshBody, true)),
    ),
  );
  if (r.sameBody === false || (r.captured && r.sameStatus === false))
    card.append(h('h4', {}, 'differences'), diffView(capturedBody, freshBody));
  return card;
}

async function copyCurl(d: Detail, edits: unknown, result: HTMLElement): Promise<void> {
  let r: { command: string; notes: string[] };
  try {
    r = await api(`/api/requests/${encodeURIComponent(d.summary.id)}/curl`, { method: 'POST', body: edits ?? {} });
  } catch (err) {
    result.append(h('p', { class: 'error' }, (err as Error).message));
    return;
  }
  let copied = false;
  try {
    await navigator.clipboard.writeText(r.command);
    copied = true;
  } catch {
    // No clipboard permission (a headless browser): the command is shown to copy by hand.
  }
  const existing = result.querySelector('.curl');
  const card = h(
    'section',
    { class: 'card curl' },
    h('h3', {}, copied ? 'Copied to the clipboard' : 'curl command'),
    ...r.notes.map((n) => h('p', { class: 'warn small' }, n)),
    h('pre', { class: 'code' }, r.command),
  );
  if (existing) existing.replaceWith(card);
  else result.append(card);
}

// ---- header, stream, events ----

function renderSession(): void {
  const el = $('session');
  if (!session) return;
  if (session.mode === 'dev') {
    el.replaceChildren(
      h('span', { class: 'mono' }, session.publicUrl ?? '(tunnel starting)'),
      h('span', { class: 'dim' }, ' → '),
      h('span', { class: 'mono' }, session.target ?? ''),
    );
  } else {
    el.replaceChildren(
      h('span', { class: 'dim' }, 'files: '),
      h('span', { class: 'mono' }, (session.files ?? []).join(', ')),
    );
  }
}

function connect(): void {
  const conn = $('conn');
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => {
    conn.textContent = session?.mode === 'files' ? 'files' : 'live';
    conn.className = 'conn on';
  });
  source.addEventListener('snapshot', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { requests: Summary[]; session: SessionInfo };
    session = data.session;
    renderSession();
    requests.clear();
    rows.clear();
    const batch = document.createDocumentFragment();
    for (const s of data.requests) addRequest(s, batch);
    $('rows').replaceChildren(batch);
    conn.textContent = session.mode === 'files' ? 'files' : 'live';
    refreshCounts();
    if (selected && requests.has(selected)) select(selected);
  });
  source.addEventListener('request', (e) => {
    addRequest(JSON.parse((e as MessageEvent<string>).data) as Summary);
    trim();
    refreshCounts();
  });
  source.addEventListener('dropped', (e) => {
    if (session) session.dropped = (JSON.parse((e as MessageEvent<string>).data) as { dropped: number }).dropped;
    refreshCounts();
  });
  source.addEventListener('error', () => {
    conn.textContent =
      source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting… (has the session ended?)';
    conn.className = 'conn off';
  });
}

function onPick(e: Event): void {
  const target = (e.target as HTMLElement).closest<HTMLElement>('[data-id]');
  if (target?.dataset.id) select(target.dataset.id);
}

$('rows').addEventListener('click', onPick);
$('groups-view').addEventListener('click', onPick);
for (const container of [$('rows'), $('groups-view')]) {
  container.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') onPick(e);
  });
}
$('tab-list').addEventListener('click', () => setView('list'));
$('tab-groups').addEventListener('click', () => setView('groups'));
for (const f of Object.values(filters)) f.addEventListener('input', applyFilters);
connect();
