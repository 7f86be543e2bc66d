import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailCells, emailLocales } from '#domain/email-templates.ts';
import { emailVariants, writeEmailPreview } from '#local/email-preview.ts';
import { ARTIFACTS, launchChromium } from './chromium.ts';

let chrome: Awaited<ReturnType<typeof launchChromium>>;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-emails-'));
  chrome = await launchChromium();
});
afterAll(async () => {
  await chrome?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the customer-email preview in a real browser', () => {
  it('shows every locale × outcome side by side, and a hostile name as text', async () => {
    // arrange
    const { index } = await writeEmailPreview(dir);
    const dialogs: string[] = [];
    chrome.page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    // act
    await chrome.page.setViewportSize({ width: 1600, height: 1000 });
    await chrome.page.goto(pathToFileURL(index).href);
    await chrome.page.waitForLoadState('load');
    await chrome.page.screenshot({ path: join(ARTIFACTS, 'emails-index.png'), fullPage: false });
    await chrome.page.screenshot({ path: join(ARTIFACTS, 'emails-index-full.png'), fullPage: true });
    await chrome.page.locator('section#rejection-hostile-name-').screenshot({ path: join(ARTIFACTS, 'emails-hostile-name.png') });
    const frames = chrome.page.frames().filter((f) => f !== chrome.page.mainFrame());
    const texts = await Promise.all(frames.map((f) => f.locator('body').innerText()));
    const scripts = await Promise.all(frames.map((f) => f.locator('script, img, svg, iframe').count()));
    const hostile = chrome.page.locator('section#rejection-hostile-name- iframe').first().contentFrame();
    // assert
    // Every outcome cell, every extra variant (partial returns, graded refunds…) and the hostile name, per locale.
    expect(frames).toHaveLength((emailCells.length + emailVariants('en').length + 1) * emailLocales.length);
    expect(texts.every((t) => t.includes('ORD-1001'))).toBe(true);
    expect(scripts.every((n) => n === 0)).toBe(true);
    expect(await hostile.locator('body').innerText()).toContain('<script>alert(1)</script>');
    expect(dialogs).toEqual([]);
  });
});
