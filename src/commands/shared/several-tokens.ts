/** Said when a signing command gets more than one auth token: it signs with the first only. */
export function severalTokens(count: number): string {
  return `signing with the first of the ${count} auth tokens given (several are for checking signatures: verify, dev)`;
}
