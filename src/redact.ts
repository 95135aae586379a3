/** `AC0123…cdef` style masking for SIDs and keys: enough to recognise, never enough to use. */
export function maskSid(sid: string | undefined): string {
  if (!sid) return '';
  if (sid.length <= 8) return '…';
  return `${sid.slice(0, 2)}…${sid.slice(-4)}`;
}

/** A secret is shown only as its presence and length class, never any of its characters. */
export function maskSecret(secret: string | undefined): string {
  return secret ? '••••••••' : '';
}

/**
 * Replaces every known secret in text. Output goes through this as a last line of defence, so a
 * secret that slips into an error message from a library still never reaches the terminal.
 */
export class SecretRedactor {
  private secrets: string[] = [];

  /** A URL password: pass both forms (`add(...urlPasswords(url))`), as written and decoded. */
  add(...secrets: Array<string | undefined>): void {
    for (const secret of secrets) {
      // Very short values would redact ordinary words; nothing twhook treats as a secret is that short.
      if (!secret || secret.length < 6 || this.secrets.includes(secret)) continue;
      this.secrets.push(secret);
      // Also catch the URL-encoded form (basic-auth passwords in URLs, form bodies).
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && !this.secrets.includes(encoded)) this.secrets.push(encoded);
    }
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    }
    return out;
  }
}
