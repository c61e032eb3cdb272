// Accessibility: axe-core finds no serious or critical violation on the inbox (list and an
// open conversation, desktop and phone), the settings pages, the profile and the sandbox.
// (Keyboard use of the inbox is tested in inbox.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, OWNER, DESKTOP, PHONE, seriousA11yViolations } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`axe: the inbox has no serious violation (${size})`, async () => {
    const page = await newPage(browser, viewport, { bypassCSP: true });
    await signIn(page, OWNER);
    await page.locator('.conversation-row').first().waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], 'the list');
    await page.locator('.conversation-row').first().click();
    await page.locator('#composer-text').waitFor();
    await hydrated(page);
    assert.deepEqual(await seriousA11yViolations(page), [], 'an open conversation');
    await page.context().close();
  });
}

test('axe: settings and profile pages have no serious violation', async () => {
  const page = await newPage(browser, undefined, { bypassCSP: true });
  await signIn(page, OWNER);
  for (const path of ['/settings/employees', '/settings/roles', '/settings/conversations', '/profile', '/tokens']) {
    await page.goto(path);
    await hydrated(page);
    assert.deepEqual(await seriousA11yViolations(page), [], path);
  }
  await page.goto('/sandbox');
  await hydrated(page);
  assert.deepEqual(await seriousA11yViolations(page), [], '/sandbox');
  await page.context().close();
});
