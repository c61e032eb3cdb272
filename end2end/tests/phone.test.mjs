// The main flows at a phone's size (390×844): one pane at a time — the list, then the
// conversation with a back button, then the client panel — the composer reachable,
// touch targets of 44 px, and no sideways scrolling anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, PHONE, sandboxChannels, newLead, leadWrites } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });


async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
}

test('a phone reads and answers a conversation one pane at a time', async () => {
  const run = `phone${Date.now() % 100000}`;
  const channels = await sandboxChannels();
  const response = await leadWrites(channels[0].id, await newLead(), { name: `Phone Lead ${run}`, messageId: `msg-${run}`, text: `Can you call me back? ${run}` });
  assert.equal(response.status, 200);

  const page = await newPage(browser, PHONE);
  await signIn(page);
  await page.goto(`/conversations?q=${run}`);
  await hydrated(page);
  await noSidewaysScroll(page);
  await shot(page, 'phone-list');
  const row = page.locator('.conversation-row', { hasText: `Phone Lead ${run}` });
  const rowBox = await row.boundingBox();
  assert.ok(rowBox.height >= 44, 'rows are touch targets');
  await row.click();
  // The conversation takes the screen; the list is out of sight.
  await page.locator('.bubble-row.inbound', { hasText: run }).waitFor();
  assert.equal(await page.locator('.list-pane').isVisible(), false, 'one pane at a time');
  const back = page.locator('.back-button');
  assert.ok((await back.boundingBox()).width >= 44, 'the back button is a touch target');
  const composer = page.locator('#composer-text');
  const box = await composer.boundingBox();
  assert.ok(box.y + box.height <= PHONE.height, 'the composer is on screen');
  await noSidewaysScroll(page);
  await composer.fill('Sure, calling you in 5 minutes.');
  await page.locator('.send-button').click();
  await page.locator('.bubble-row.outbound', { hasText: 'calling you in 5 minutes' }).waitFor();
  const send = await page.locator('.send-button').boundingBox();
  assert.ok(send.height >= 44 && send.width >= 44, 'the send button is a touch target');
  // The lead's name stays readable in the header.
  const title = await page.locator('.thread-title h2').boundingBox();
  assert.ok(title.width >= 120, `the name has room (${title.width} px)`);
  await shot(page, 'phone-conversation');
  // The contact panel, then back to the conversation, then back to the list.
  await page.locator('.panel-toggle').click();
  await page.locator('.client-panel.open').waitFor();
  await noSidewaysScroll(page);
  await shot(page, 'phone-contact-panel');
  await page.locator('.panel-close').first().click();
  await back.click();
  await page.waitForURL((url) => url.pathname === '/conversations');
  await page.locator('.list-pane').waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
