import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { repoRoot } from '#local/stack.ts';

/** Where browser tests keep their screenshots: test artefacts, ignored by git. */
export const ARTIFACTS = join(repoRoot, 'test-artifacts');

/**
 * Debian's Chromium driven by playwright-core, headless, with a fresh profile (playwright makes a
 * temporary one per launch) and the background
 * networking off (this machine reaches no network beyond loopback).
 */
export async function launchChromium(): Promise<{ browser: Browser; page: Page; close(): Promise<void> }> {
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.MAKEGOOD_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  return {
    browser,
    page,
    close: async () => {
      await browser.close();
    },
  };
}
