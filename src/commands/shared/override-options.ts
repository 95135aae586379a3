/**
 * The connection override options shared by `configure` and `dev`: each has a long name and
 * Twilio's short key as a second long flag (`--connect-timeout` or `--ct`).
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  allowedText,
  isEmptyOverrides,
  OVERRIDE_SPECS,
  parseOverrideValue,
  type OverrideName,
  type Overrides,
} from '../../webhooks/overrides.js';

/** The option names commander gives each setting, and the flag a user types. */
const OPTIONS: { name: OverrideName; attr?: string; flags: string; placeholder: string; what: string }[] = [
  { name: 'connectTimeout', flags: '--ct, --connect-timeout', placeholder: '<ms>', what: 'connect timeout' },
  { name: 'readTimeout', flags: '--rt, --read-timeout', placeholder: '<ms>', what: 'read timeout' },
  { name: 'totalTimeout', flags: '--tt, --total-timeout', placeholder: '<ms>', what: 'total time for all attempts' },
  { name: 'retryCount', flags: '--rc, --retry-count', placeholder: '<n>', what: 'retries after the first attempt' },
  { name: 'retryPolicy', flags: '--rp, --retry-policy', placeholder: '<list>', what: 'what is retried' },
  {
    name: 'edges',
    attr: 'edge',
    flags: '--e, --edge',
    placeholder: '<list>',
    what: 'egress edges, rotated across retries',
  },
  { name: 'sni', flags: '--sni', placeholder: '<y|n>', what: 'Server Name Indication' },
];

/** The raw option values as commander parses them (`edge` holds `--edge`/`--e`). */
export type OverrideOptionValues = Partial<Record<Exclude<OverrideName, 'edges'> | 'edge', string>>;

/** Adds the seven override options to a command. */
export function addOverrideOptions(cmd: Command): Command {
  for (const option of OPTIONS) {
    const spec = OVERRIDE_SPECS.find((s) => s.name === option.name)!;
    cmd.option(`${option.flags} ${option.placeholder}`, `override: ${option.what}, ${allowedText(spec)}`);
  }
  return cmd;
}

/** The settings given on the command line, validated; undefined when none was given. */
export function overridesFromOptions(opts: OverrideOptionValues & Record<string, unknown>): Overrides | undefined {
  const out: Overrides = {};
  for (const option of OPTIONS) {
    const raw = opts[option.attr ?? option.name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') throw new UsageError(`${option.flags.split(', ')[1]} takes one value`);
    (out as Record<string, unknown>)[option.name] = parseOverrideValue(option.name, raw);
  }
  return isEmptyOverrides(out) ? undefined : out;
}

/** The flag users type for a setting (for messages): `--connect-timeout`. */
export function overrideFlag(name: OverrideName): string {
  return OPTIONS.find((o) => o.name === name)!
    .flags.split(', ')
    .pop()!;
}
