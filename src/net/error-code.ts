/**
 * The system error code (ECONNREFUSED, UND_ERR_SOCKET...) behind a failed request. undici wraps
 * the socket error in `cause`, and a refused happy-eyeballs connection in an AggregateError, so
 * the code can sit a few levels down.
 */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (current as { errors?: unknown[] }).errors?.[0];
    current = (current as { cause?: unknown }).cause ?? inner;
  }
  return undefined;
}

/** An error's message as one line: some library messages span several (assertion dumps). */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n').find((line) => line.trim()) ?? '').trim();
}

/** A reply that arrived but could not be parsed (undici's HTTPParserError, Node's HPE_* codes). */
export function isUnreadableReply(err: unknown, code = errorCode(err)): boolean {
  if (code?.startsWith('HPE_')) return true;
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    if ((current as { name?: unknown }).name === 'HTTPParserError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
