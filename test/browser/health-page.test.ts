import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack } from '../integration/harness.ts';
import { ARTIFACTS, launchChromium } from './chromium.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let chrome: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  stack = await bootStack();
  chrome = await launchChromium();
});
afterAll(async () => {
  await chrome?.close();
  await stack?.cleanup();
});

describe('the embedded stack in a real browser', () => {
  it('shows the mailbox viewer of the SES emulator', async () => {
    // act
    const res = await chrome.page.goto(stack.mailUrl);
    await chrome.page.screenshot({ path: join(ARTIFACTS, 'mailbox.png') });
    // assert
    expect(res?.status()).toBe(200);
    expect(await chrome.page.title()).not.toBe('');
  });
});
