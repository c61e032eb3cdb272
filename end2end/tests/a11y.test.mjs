// Accessibility: axe-core finds no serious or critical violation on the inbox (list and an
// open conversation, desktop and phone), the settings pages and the profile; and the
// inbox is usable from the keyboard alone (the list, opening, the composer and back).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, OWNER, DESKTOP, PHONE, seriousA11yViolations } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`axe: the inbox has no serious violation (${size})`, async () => {
    const page = await newPage(browser, viewport);
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
  const page = await newPage(browser);
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

test('the inbox from the keyboard alone: j/k, Enter, typing, Esc', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.locator('.conversation-row').nth(1).waitFor();
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  const selected = page.locator('.conversation-row[aria-selected=true], .conversation-row.selected');
  await selected.first().waitFor();
  const id = await selected.first().getAttribute('data-conversation-id');
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/conversations/${id}`);
  await page.locator('#composer-text').waitFor();
  await page.focus('#composer-text');
  await page.keyboard.type('typed without a mouse');
  assert.equal(await page.inputValue('#composer-text'), 'typed without a mouse');
  await page.keyboard.press('Escape');
  assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'composer-text', 'Esc leaves the reply box');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'list-search', '/ focuses search');
  // The draft stays for later.
  await page.fill('#composer-text', '');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
