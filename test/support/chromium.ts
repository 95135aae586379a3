/**
 * A real Chromium for the browser tests and the screenshot script: Debian's `chromium` package
 * driven by playwright-core (no browser download). Tests skip, saying why, when none is found.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

const CANDIDATES = [process.env.TWHOOK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => !!p,
);

/** The Chromium executable, or undefined. */
export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export const NO_CHROMIUM = `no Chromium found (looked for ${CANDIDATES.join(', ')}): apt-get install -y chromium, or set TWHOOK_CHROMIUM`;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh browser profile; `close()` ends the browser and removes the profile. */
export async function launchChromium(
  options: { args?: string[]; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(NO_CHROMIUM);
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'twhook-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    viewport: options.viewport ?? { width: 1440, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
