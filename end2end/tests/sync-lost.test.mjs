// Lost sync is seen by everyone at once (issue 21, point 10): two employees' composers are
// open on a practice Messenger conversation; the channel's token expires and a reply is
// refused, so the channel loses sync — the other composer locks live (no reload), says
// why and links to the channel's settings; reconnecting it unlocks both, live again.
// The watching composer runs at desktop and at phone width.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/// The practice Messenger channel's card in Settings › Conversations.
function practiceCard(page) {
  return page.locator('.channel-card', { has: page.locator('form[data-channel="Practice Messenger"]') });
}

async function openConversation(page, text) {
  await page.goto('/conversations');
  await hydrated(page);
  const row = page.locator('.conversation-row', { hasText: text });
  await row.waitFor({ timeout: 10000 });
  await row.click();
  await page.locator('.bubble-row.inbound', { hasText: text }).waitFor();
  await page.locator('#composer-text').waitFor();
}

for (const [viewport, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
  test(`a composer locks live when its channel loses sync and unlocks on reconnect (${width})`, async () => {
    // The owner who breaks and mends the channel, with the lead's page beside.
    const owner = await newPage(browser, DESKTOP);
    await signIn(owner, OWNER);
    const lead = await owner.context().newPage();
    lead.errors = [];
    lead.on('pageerror', (err) => lead.errors.push(err.message));
    await lead.goto('/sandbox');
    await hydrated(lead);
    await lead.locator('.tabs a[data-kind=messenger]').click();
    await lead.locator('[data-testid=practice-chat][data-kind=messenger]').waitFor();
    await hydrated(lead);
    await lead.locator('.composer button[type=submit]:not([disabled])').waitFor();
    const text = `Sync lost ${width} ${Date.now()}`;
    await lead.fill('#lead-name', 'Paula Lima');
    await lead.fill('#lead-text', text);
    await lead.press('#lead-text', 'Enter');
    await lead.locator('.bubble-row.outbound', { hasText: text }).waitFor();

    // Another session (its own browser context) watching the same conversation.
    const watcher = await newPage(browser, viewport);
    await signIn(watcher, OWNER);
    await openConversation(watcher, text);
    await openConversation(owner, text);
    assert.equal(await watcher.locator('[data-testid=composer-locked]').count(), 0);

    // The token expires; the owner's next reply is refused and the channel loses sync.
    const settings = await owner.context().newPage();
    await settings.goto('/settings/conversations');
    await hydrated(settings);
    await practiceCard(settings).locator('[data-testid=practice-expire]').click();
    await settings.locator('.banner-ok[role=status]').waitFor();
    await owner.bringToFront();
    await owner.fill('#composer-text', 'Still there?');
    await owner.press('#composer-text', 'Enter');

    // The watcher's composer locks without a reload, says why and where to fix it.
    const locked = watcher.locator('[data-testid=composer-locked]');
    await locked.waitFor({ timeout: 15000 });
    assert.match(await locked.textContent(), /lost its connection/);
    assert.equal(await watcher.locator('#composer-text').count(), 0);
    const fix = locked.locator('[data-testid=composer-fix]');
    await fix.waitFor();
    assert.match(await fix.getAttribute('href'), /^\/settings\/conversations#channel-\d+$/);
    await shot(watcher, `sync-lost-locked-${width}`);
    // The owner's own composer locked too.
    await owner.locator('[data-testid=composer-locked]').waitFor({ timeout: 15000 });

    // Reconnected (the simulator's new token): both composers unlock, live.
    await settings.reload();
    await hydrated(settings);
    await practiceCard(settings).locator('[data-testid=practice-renew]').click();
    await watcher.locator('#composer-text').waitFor({ timeout: 15000 });
    assert.equal(await watcher.locator('[data-testid=composer-locked]').count(), 0);
    await owner.locator('#composer-text').waitFor({ timeout: 15000 });
    await shot(watcher, `sync-lost-unlocked-${width}`);

    assert.deepEqual(watcher.errors, []);
    assert.deepEqual(owner.errors, []);
    assert.deepEqual(lead.errors, []);
    await watcher.context().close();
    await owner.context().close();
  });
}
