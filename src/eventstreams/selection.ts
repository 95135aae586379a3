/**
 * Event type selections as users write them: `TYPE` or `TYPE@SCHEMA_VERSION`, repeated or
 * comma-separated (`--type com.twilio.messaging.message.delivered@3,com.twilio.messaging.message.failed`).
 */
import { UsageError } from '../errors.js';
import type { EventTypeSelection } from '../twilio/eventstreams.js';

/** Twilio's type names are dotted lowercase words with hyphens (com.twilio.voice.insights.call-summary.complete). */
const TYPE_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

export function parseTypeSelection(text: string): EventTypeSelection {
  const value = text.trim();
  const at = value.lastIndexOf('@');
  const type = at >= 0 ? value.slice(0, at) : value;
  const version = at >= 0 ? value.slice(at + 1) : undefined;
  if (!TYPE_NAME.test(type)) {
    throw new UsageError(
      `"${value}" is not an event type: use a name like com.twilio.messaging.message.delivered, optionally @SCHEMA_VERSION (see \`twhook event-types list\`)`,
    );
  }
  if (version === undefined) return { type };
  if (!/^[1-9]\d{0,5}$/.test(version)) {
    throw new UsageError(`"${value}": the schema version after @ must be a whole number from 1, as in ${type}@1`);
  }
  return { type, schemaVersion: Number(version) };
}

/** Parses every value, splitting on commas; the same type twice must not ask for two versions. */
export function parseTypeSelections(values: readonly string[]): EventTypeSelection[] {
  const byType = new Map<string, EventTypeSelection>();
  for (const raw of values.flatMap((v) => v.split(','))) {
    if (!raw.trim()) continue;
    const selection = parseTypeSelection(raw);
    const seen = byType.get(selection.type);
    if (seen && seen.schemaVersion !== selection.schemaVersion) {
      throw new UsageError(
        `${selection.type} is given twice with different schema versions (${formatSelection(seen)}, ${formatSelection(selection)}): keep one`,
      );
    }
    byType.set(selection.type, selection);
  }
  return [...byType.values()];
}

export function formatSelection(selection: EventTypeSelection): string {
  return selection.schemaVersion === undefined ? selection.type : `${selection.type}@${selection.schemaVersion}`;
}

/** The names nearest to `wanted` (for "did you mean"): the closest few, and only close ones. */
export function nearestTypes(wanted: string, known: readonly string[], max = 3): string[] {
  const scored = known
    .map((name) => ({ name, score: distance(wanted, name) }))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  const best = scored[0]?.score ?? Infinity;
  if (best > Math.max(2, Math.floor(wanted.length / 10))) return [];
  return scored
    .filter((s) => s.score <= best + 1)
    .slice(0, max)
    .map((s) => s.name);
}

function distance(a: string, b: string): number {
  // Levenshtein with two rows: type names are short.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
