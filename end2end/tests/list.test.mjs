// The list pages from the server: past the first 50 conversations, scrolling (or "Show
// more") brings the rest, without duplicates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, BASE_URL } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('scrolling the list loads the conversations after the first 50', async () => {
  const run = `bulk${Date.now() % 100000}`;
  const channels = await (await fetch(`${BASE_URL}/api/sandbox_channels`, { method: 'POST' })).json();
  const channel = channels[0].id;
  for (let i = 0; i < 55; i++) {
    const response = await fetch(`${BASE_URL}/webhooks/sandbox/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message', lead_id: `lead-${run}-${i}`, name: `Bulk Lead ${i}`,
        message_id: `msg-${run}-${i}`, text: `hello ${run}`,
      }),
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
  await page.locator('.conversation-list').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await rows.nth(54).waitFor();
  assert.equal(await rows.count(), 55, 'the rest, once');
  assert.equal(await page.locator('.list-more').count(), 0, 'nothing more to load');
  const names = await rows.locator('.contact-name').allTextContents();
  assert.equal(new Set(names).size, 55);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
