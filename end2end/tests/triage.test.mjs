// Triage: a conversation awaiting a reply (the lead wrote last, or a reply failed) can be
// marked handled from its header; it leaves the Awaiting filter and loses its red dot, and
// the history says who did it. Desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, sandboxChannels, newLead, leadWrites } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [width, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`a conversation awaiting a reply is marked handled (${width})`, async () => {
    const page = await newPage(browser, viewport);
    await signIn(page);
    const run = `triage${width}${Date.now() % 100000}`;
    const channels = await sandboxChannels();
    const response = await leadWrites(channels[0].id, await newLead(), { name: `Thanks ${run}`, messageId: `msg-${run}`, text: 'Thanks, all good!' });
    assert.equal(response.status, 200);

    await page.goto(`/conversations?awaiting=1&q=${run}`);
    await hydrated(page);
    await page.locator('.conversation-row', { hasText: `Thanks ${run}` }).click();
    const handled = page.locator('[data-testid=mark-handled]');
    await handled.waitFor();
    assert.equal((await handled.innerText()).trim(), 'Mark handled');
    await shot(page, `triage-awaiting-${width}`);
    await handled.click();
    await handled.waitFor({ state: 'detached' });

    // Gone from the Awaiting filter, with no red dot in the full list.
    await page.goto(`/conversations?awaiting=1&q=${run}`);
    await hydrated(page);
    await page.locator('[data-testid=list-empty]').waitFor();
    assert.equal(await page.locator('.conversation-row', { hasText: `Thanks ${run}` }).count(), 0);
    await page.goto(`/conversations?q=${run}`);
    await hydrated(page);
    const row = page.locator('.conversation-row', { hasText: `Thanks ${run}` });
    await row.waitFor();
    assert.equal(await row.locator('[data-testid=awaiting]').count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}
