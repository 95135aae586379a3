/**
 * Synthetic events are data: one JSON file per event in src/fixtures (copied to dist/fixtures by
 * the build), and the list of events is whatever that folder holds. This module reads and checks
 * them; src/trigger/build.ts turns one into requests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One request of a sequence: its own variables and parameter overlay (null removes a parameter). */
export interface FixtureStep {
  name: string;
  vars?: Record<string, Json>;
  params?: Record<string, Json>;
}

export interface FixtureVariant {
  description: string;
  /** Giving one of these variables (--speech) selects this variant. */
  selectedBy?: string[];
  steps: FixtureStep[];
}

export interface Fixture {
  event: string;
  summary: string;
  /** Twilio's page documenting these parameters. */
  docs?: string;
  method: 'POST' | 'GET';
  contentType: 'form' | 'json';
  /** Which TwiML the app must answer with (as `dev` checks it), or false for callbacks whose body Twilio ignores. */
  expectsTwiml: false | 'voice' | 'messaging';
  /** Defaults of the template variables; command-line flags override them. */
  vars?: Record<string, Json>;
  /** Form parameters (templates), in the order Twilio sends them. */
  params?: Record<string, Json>;
  /** Parameters repeated `vars[count]` times: `{i}` in names and values is the index (MediaUrl0..N). */
  repeat?: { count: string; params: Record<string, Json> };
  /** The JSON body (templates in its strings), for contentType json. */
  body?: Json;
  headers?: Record<string, string>;
  /** The variable that names the variant (message-status: finalStatus). */
  variantBy?: string;
  variants?: Record<string, FixtureVariant>;
}

const EVENT_NAME = /^[a-z][a-z0-9-]*$/;

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Every event, sorted by name, read from the fixture folder. */
export function listFixtures(dir = FIXTURE_DIR): Fixture[] {
  return eventNames(dir).map((name) => readFixture(dir, name));
}

/** The event names: the fixture files' names. */
export function eventNames(dir = FIXTURE_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .filter((name) => EVENT_NAME.test(name))
    .sort();
}

/** The fixture of one event, or undefined when there is no such event. */
export function findFixture(event: string, dir = FIXTURE_DIR): Fixture | undefined {
  if (!EVENT_NAME.test(event) || !eventNames(dir).includes(event)) return undefined;
  return readFixture(dir, event);
}

function readFixture(dir: string, name: string): Fixture {
  const path = `${dir}${dir.endsWith('/') ? '' : '/'}${name}.json`;
  const fixture = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
  const problem = checkFixture(fixture, name);
  // A broken fixture is a bug in twhook, not in the user's input.
  if (problem) throw new Error(`fixture ${path}: ${problem}`);
  return fixture;
}

function checkFixture(f: Fixture, name: string): string | undefined {
  if (f.event !== name) return `"event" is ${JSON.stringify(f.event)}, the file name says ${name}`;
  if (typeof f.summary !== 'string') return 'no "summary"';
  if (f.method !== 'POST' && f.method !== 'GET') return '"method" must be POST or GET';
  if (f.contentType !== 'form' && f.contentType !== 'json') return '"contentType" must be form or json';
  if (f.contentType === 'form' && (typeof f.params !== 'object' || f.params === null))
    return 'a form event needs "params"';
  if (f.contentType === 'json' && f.body === undefined) return 'a json event needs "body"';
  if (f.expectsTwiml !== false && f.expectsTwiml !== 'voice' && f.expectsTwiml !== 'messaging') {
    return '"expectsTwiml" must be false, "voice" or "messaging"';
  }
  if (f.variants) {
    const entries = Object.entries(f.variants);
    if (!entries.length) return '"variants" is empty';
    for (const [variant, v] of entries) {
      if (!Array.isArray(v.steps) || !v.steps.length) return `variant ${variant} has no steps`;
    }
  }
  if (f.variantBy && !f.variants) return '"variantBy" without "variants"';
  return undefined;
}
