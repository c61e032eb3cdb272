// The list pages from the server: past the first 50 conversations, scrolling (or "Show
// more") brings the rest, without duplicates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, sandboxChannels, newLead, leadWrites } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('scrolling the list loads the conversations after the first 50', async () => {
  const run = `bulk${Date.now() % 100000}`;
  const channel = (await sandboxChannels())[0].id;
  for (let i = 0; i < 55; i++) {
    const response = await leadWrites(channel, await newLead(), {
      name: `Bulk Lead ${i}`, messageId: `msg-${run}-${i}`, text: `hello ${run}`,
    });
    assert.equal(response.status, 200);
  }
  const page = await newPage(browser);
  await signIn(page);
  await page.goto(`/conversations?q=${run}`);
  await hydrated(page);
  const rows = page.locator('.conversation-row');
  await rows.nth(49).waitFor();
  assert.equal(await rows.count(), 50, 'one page at first');
  const seen = new Set(await rows.locator('.contact-name').allTextContents());
  await page.locator('.conversation-list').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  // The oldest arrives with the next page; the list is windowed, so rows far above the
  // viewport leave the page while the spacer keeps the scroll height.
  await page.locator('.conversation-row', { hasText: 'Bulk Lead 0' }).waitFor();
  await page.locator('.conversation-list').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction(() => document.querySelectorAll('.conversation-row').length < 55);
  for (const name of await rows.locator('.contact-name').allTextContents()) seen.add(name);
  assert.equal(seen.size, 55, 'every conversation, once');
  assert.equal(await page.locator('.list-more').count(), 0, 'nothing more to load');
  const spacer = await page.locator('.list-spacer').first().evaluate((el) => el.getBoundingClientRect().height);
  assert.ok(spacer > 0, 'the rows above are replaced by a spacer');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('scrolling up a long conversation loads older messages and keeps the place', async () => {
  const run = `long${Date.now() % 100000}`;
  const channel = (await sandboxChannels())[0].id;
  const lead = await newLead();
  for (let i = 0; i < 120; i++) {
    const response = await leadWrites(channel, lead, {
      name: `Long Thread ${run}`, messageId: `msg-${run}-${i}`, text: `line ${i} of ${run}`,
    });
    assert.equal(response.status, 200);
  }
  const page = await newPage(browser);
  await signIn(page);
  await page.goto(`/conversations?q=${run}`);
  await hydrated(page);
  await page.locator('.conversation-row', { hasText: `Long Thread ${run}` }).click();
  const bubbles = page.locator('.bubble-row.inbound');
  await page.locator('.bubble-row', { hasText: `line 119 of ${run}` }).waitFor();
  assert.equal(await bubbles.count(), 50, 'the newest 50 first');
  const thread = page.locator('[data-testid=thread]');
  for (const expected of [100, 120]) {
    await thread.evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
    await page.waitForFunction((n) => document.querySelectorAll('.bubble-row.inbound').length === n, expected);
    // The reader stays where they were: the older ones are above, out of sight.
    assert.ok(await thread.evaluate((el) => el.scrollTop) > 200, 'the place is kept');
  }
  await page.locator('.bubble-row', { hasText: `line 0 of ${run}` }).waitFor();
  assert.equal(await page.locator('[data-testid=older]').count(), 0, 'nothing older is left');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
