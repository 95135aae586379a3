/**
 * Looks for known secrets in text, files and folders, in every form they could take on the way
 * out: raw, URL-encoded (encodeURIComponent, form encoding, a URL's userinfo encoding), and
 * base64 (of `user:secret` as in an Authorization header, and of the secret at any alignment
 * inside a longer base64 text). Leaks are collected, not thrown, so one failure lists them all.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Secret {
  /** What it is, for the report: "auth token", "basic-auth password"... */
  name: string;
  value: string;
  /** The user it is paired with in `Authorization: Basic base64(user:secret)`. */
  user?: string;
}

interface Form {
  form: string;
  text: string;
}

/** A 3-byte-aligned window of base64 that only the secret's own bytes determine. */
function base64Inner(value: string, offset: number): string {
  const bytes = Buffer.from(value, 'utf8');
  const encoded = Buffer.concat([Buffer.alloc(offset, 0x78), bytes]).toString('base64');
  const start = offset === 0 ? 0 : 4;
  const end = 4 * Math.floor((offset + bytes.length) / 3);
  return encoded.slice(start, end);
}

export function formsOf(secret: Secret): Form[] {
  const userinfo = new URL('https://host.invalid/');
  userinfo.password = secret.value;
  const forms: Form[] = [
    { form: 'raw', text: secret.value },
    { form: 'URL-encoded', text: encodeURIComponent(secret.value) },
    { form: 'form-encoded', text: new URLSearchParams({ x: secret.value }).toString().slice(2) },
    { form: 'URL userinfo-encoded', text: userinfo.password },
    { form: 'JSON-escaped', text: JSON.stringify(secret.value).slice(1, -1) },
  ];
  if (secret.user !== undefined) {
    forms.push({
      form: `base64 of ${secret.user}:secret`,
      text: Buffer.from(`${secret.user}:${secret.value}`).toString('base64'),
    });
  }
  for (const offset of [0, 1, 2])
    forms.push({ form: `base64 (alignment ${offset})`, text: base64Inner(secret.value, offset) });
  const seen = new Set<string>();
  // Short windows would match by chance; every secret here is long enough for 12+ characters.
  return forms.filter((f) => f.text.length >= 12 && !seen.has(f.text) && (seen.add(f.text), true));
}

export interface DirOptions {
  /** Files not scanned at all: the inputs the test wrote (env files hold secrets by design). */
  skip?: string[];
  /** Per file name: the secrets (by name) that file may hold. */
  allow?: Record<string, string[]>;
}

export class LeakScanner {
  readonly leaks: string[] = [];
  /** Every place scanned, for the report and to prove the scan saw something. */
  readonly scanned: string[] = [];
  private readonly forms: { secret: Secret; forms: Form[] }[];

  constructor(readonly secrets: Secret[]) {
    this.forms = secrets.map((secret) => ({ secret, forms: formsOf(secret) }));
  }

  /** Records every secret (not in `allowed`) found in `text`. */
  text(label: string, text: string, allowed: string[] = []): void {
    this.scanned.push(label);
    for (const { secret, forms } of this.forms) {
      if (allowed.includes(secret.name)) continue;
      for (const { form, text: needle } of forms) {
        const at = text.indexOf(needle);
        if (at >= 0) {
          const context = text.slice(Math.max(0, at - 40), at + needle.length + 40).replace(/\n/g, '\\n');
          this.leaks.push(`${label}: ${secret.name} (${form}) in …${context}…`);
        }
      }
    }
  }

  /** stdout and stderr of a run (--json output is stdout). */
  run(label: string, result: { stdout: string; stderr: string }): void {
    this.text(`${label} [stdout]`, result.stdout);
    this.text(`${label} [stderr]`, result.stderr);
  }

  file(path: string, label = path, allowed: string[] = []): void {
    this.text(label, readFileSync(path, 'utf8'), allowed);
  }

  /** Every file under `root`, recursively. Returns the paths scanned (relative to root). */
  dir(root: string, options: DirOptions = {}): string[] {
    const skip = new Set(options.skip ?? []);
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (skip.has(path)) continue;
        const st = statSync(path);
        if (st.isDirectory()) walk(path);
        else if (st.isFile()) {
          found.push(relative(root, path));
          this.file(path, path, options.allow?.[name] ?? []);
        }
      }
    };
    walk(root);
    return found;
  }
}
