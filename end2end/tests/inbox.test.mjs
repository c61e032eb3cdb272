// The walking skeleton, end to end: a lead writes in /sandbox; the employee sees it live,
// replies (Enter, and Shift+Enter for two lines), archives; the lead writes again and the
// conversation is open again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newLeadPage, signIn, hydrated, shot, AGENT, sandboxChannels, newLead, leadWrites } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const redDot = '[data-testid=red-dot]';

/// Archives every open conversation through the UI, so the red dot starts off.
async function archiveAllOpen(page) {
  for (let i = 0; i < 500; i++) {
    const rows = page.locator('.conversation-row');
    if ((await rows.count()) === 0) return;
    const id = await rows.first().getAttribute('data-conversation-id');
    await rows.first().click();
    const toggle = page.locator('[data-testid=archive-toggle]');
    await assert.doesNotReject(toggle.waitFor());
    await page.waitForFunction(() => document.querySelector('[data-testid=archive-toggle]')?.textContent.includes('Archive'));
    await toggle.click();
    // The list is windowed (its row count says little): wait for this row to leave it.
    await page.waitForFunction((gone) => !document.querySelector(`.conversation-row[data-conversation-id="${gone}"]`), id);
  }
  throw new Error('could not empty the open list');
}

test('a lead and an employee chat live through the sandbox', async () => {
  const employee = await newPage(browser);
  await signIn(employee);
  await archiveAllOpen(employee);
  await employee.goto('/conversations');
  await hydrated(employee);
  assert.equal(await employee.locator(redDot).count(), 0, 'nothing needs attention once all is archived');

  const lead = await newLeadPage(browser);
  await lead.goto('/sandbox');
  await hydrated(lead);
  const leadName = `E2E Lead ${Date.now() % 100000}`;
  await lead.fill('#lead-name', leadName);
  await lead.fill('#lead-text', 'Hello! Do you repair tablets?');
  // Both pages share the browser's clock: time the lead's Enter and the row's arrival.
  await lead.evaluate(() => document.querySelector('#lead-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') window.__enterAt = Date.now();
  }, { capture: true }));
  await employee.evaluate((name) => new MutationObserver((_, observer) => {
    if ([...document.querySelectorAll('.conversation-row')].some((r) => r.textContent.includes(name))) {
      window.__rowAt = Date.now();
      observer.disconnect();
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true }), leadName);
  await lead.press('#lead-text', 'Enter');

  // Live: the row appears without a reload, unread, and the red dot lights up.
  const row = employee.locator('.conversation-row', { hasText: leadName });
  await row.waitFor({ timeout: 10000 });
  const latencyMs = (await employee.evaluate(() => window.__rowAt)) - (await lead.evaluate(() => window.__enterAt));
  console.log(`lead Enter → row on the employee's screen: ${latencyMs} ms`);
  assert.ok(latencyMs >= 0);
  await row.locator('[data-testid=unread]').waitFor();
  await employee.locator(redDot).waitFor();
  await assert.match(await row.textContent(), /Do you repair tablets\?/);
  await shot(employee, 'inbox-new-lead');

  // Reply with Enter, then a two-line reply with Shift+Enter.
  await row.click();
  await employee.waitForURL(/\/conversations\/\d+/);
  const composer = employee.locator('#composer-text');
  // A live update must not disturb what the employee is typing.
  await composer.fill('Yes, we do!');
  await lead.fill('#lead-text', 'It is a Galaxy Tab');
  await lead.press('#lead-text', 'Enter');
  await employee.locator('.bubble-row.inbound', { hasText: 'It is a Galaxy Tab' }).waitFor();
  assert.equal(await composer.inputValue(), 'Yes, we do!', 'the draft survives a live update');
  assert.equal(await composer.evaluate((el) => el === document.activeElement), true, 'and keeps the focus');
  await composer.fill('Yes, we do! Which model?');
  await composer.press('Enter');
  await employee.locator('.bubble-row.outbound', { hasText: 'Yes, we do! Which model?' }).last().waitFor();
  await composer.type('Line one');
  await composer.press('Shift+Enter');
  await composer.type('Line two');
  assert.equal(await composer.inputValue(), 'Line one\nLine two', 'Shift+Enter makes a new line');
  await composer.press('Enter');
  assert.equal(await composer.inputValue(), '', 'Enter sent and cleared the composer');
  const twoLines = employee.locator('.bubble-row.outbound[data-message-id]', { hasText: 'Line one' });
  await twoLines.waitFor();
  assert.equal(await twoLines.locator('.bubble-text').innerText(), 'Line one\nLine two');

  // The replies reach the lead; the lead's page marks them read.
  await lead.locator('[data-from-lead=false]', { hasText: 'Yes, we do! Which model?' }).waitFor({ timeout: 10000 });
  const leadTwoLines = lead.locator('[data-from-lead=false]', { hasText: 'Line one' });
  await leadTwoLines.waitFor();
  assert.equal(await leadTwoLines.locator('.bubble-text').innerText(), 'Line one\nLine two');
  await employee.locator('[data-testid=read-marker]').waitFor({ timeout: 10000 });
  await shot(lead, 'sandbox-lead');
  await shot(employee, 'thread-replied');

  // Archive: it shows who and when, and leaves the open list.
  await employee.click('[data-testid=archive-toggle]');
  await employee.locator('[data-testid=archived-line]', { hasText: `Archived by ${AGENT.name}` }).waitFor();
  await row.waitFor({ state: 'detached' });

  // The lead writes again: the conversation is open again, live.
  await lead.fill('#lead-text', 'One more question: do you have cases?');
  await lead.press('#lead-text', 'Enter');
  await row.waitFor({ timeout: 10000 });
  await employee.waitForFunction(() => document.querySelector('[data-testid=archive-toggle]')?.textContent.includes('Archive')
    && !document.querySelector('[data-testid=archived-line]'));
  await employee.locator('.bubble-row.inbound', { hasText: 'do you have cases?' }).waitFor();
  await shot(employee, 'reopened');

  assert.deepEqual(employee.errors, [], 'no uncaught errors in the inbox');
  assert.deepEqual(lead.errors, [], 'no uncaught errors in the sandbox');
  await employee.context().close();
  await lead.context().close();
});

test('the composer counts characters and refuses more than 1,000', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.goto('/conversations?status=archived');
  await hydrated(page);
  await page.locator('.conversation-row').first().click();
  await page.waitForURL(/\/conversations\/\d+/);
  await hydrated(page);
  const composer = page.locator('#composer-text');
  const send = page.locator('.send-button');
  assert.equal(await send.isDisabled(), true, 'an empty reply cannot be sent');
  await composer.fill('x'.repeat(950));
  await page.locator('#composer-counter', { hasText: '950 / 1000' }).waitFor();
  await composer.fill('x'.repeat(1001));
  await page.locator('#composer-counter.over', { hasText: '1001 / 1000' }).waitFor();
  assert.equal(await send.isDisabled(), true, 'an over-long reply cannot be sent');
  await composer.press('Enter');
  await page.locator('[data-testid=composer-error]', { hasText: '1000' }).waitFor();
  assert.equal((await composer.inputValue()).length, 1001, 'nothing typed is lost');
  await page.context().close();
});

test('a signed-out visitor is sent to the sign-in page', async () => {
  const page = await newPage(browser);
  await page.goto('/conversations');
  assert.match(page.url(), /\/login$/);
  await page.fill('#email', AGENT.email);
  await page.fill('#password', 'wrong password');
  await hydrated(page);
  await page.click('button[type=submit]');
  await page.locator('.form-error', { hasText: 'do not match' }).waitFor();
  await page.context().close();
});

test('search finds a conversation by a word of a message, in the view the employee is in', async () => {
  const page = await newPage(browser);
  await signIn(page);
  // Earlier tests may have archived the demo conversations: search the archive.
  await page.goto('/conversations?status=archived');
  await hydrated(page);
  await page.fill('#list-search', 'opening hours');
  await page.press('#list-search', 'Enter');
  await page.waitForURL(/status=archived&q=opening/);
  const rows = page.locator('.conversation-row');
  // The list shown before the search stays until the search's page arrives, and it may
  // hold Pedro Alves too: wait for the search's list, his row alone.
  const onlyPedro = () => {
    const shown = [...document.querySelectorAll('.conversation-row')];
    return shown.length === 1 && shown[0].textContent.includes('Pedro Alves');
  };
  await page.waitForFunction(onlyPedro, null, { timeout: 10_000 }).catch(() => {});
  await rows.filter({ hasText: 'Pedro Alves' }).waitFor();
  assert.equal(await rows.count(), 1, 'only the conversation with those words');
  // Opening it keeps the search; nothing matches a nonsense word.
  await rows.first().click();
  await page.waitForURL(/\/conversations\/\d+\?status=archived&q=opening/);
  await page.fill('#list-search', 'zebra');
  await page.press('#list-search', 'Enter');
  await page.locator('[data-testid=list-empty]', { hasText: 'Nothing matches' }).waitFor();
  await page.click('text=Clear search and filters');
  await rows.first().waitFor();
  // Mark unread: back to the list, and the row is unread again (for this employee).
  const name = await rows.first().locator('.contact-name').textContent();
  await rows.first().click();
  await page.waitForURL(/\/conversations\/\d+/);
  await page.locator('button', { hasText: 'Mark unread' }).click();
  await page.waitForURL((url) => url.pathname === '/conversations');
  await rows.filter({ hasText: name }).locator('[data-testid=unread]').waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('an unsent reply survives switching conversations and a reload', async () => {
  const page = await newPage(browser);
  await signIn(page);
  const run = `draft${Date.now() % 100000}`;
  const channels = await sandboxChannels();
  for (const lead of ['a', 'b']) {
    const response = await leadWrites(channels[0].id, await newLead(), { name: `Draft ${lead} ${run}`, messageId: `msg-${run}-${lead}`, text: `hi ${run}` });
    assert.equal(response.status, 200);
  }
  await page.goto(`/conversations?q=${run}`);
  await hydrated(page);
  await page.locator('.conversation-row', { hasText: `Draft a ${run}` }).click();
  await page.locator('#composer-text').waitFor();
  await page.fill('#composer-text', 'Half-written answer');
  await page.locator('.conversation-row', { hasText: `Draft b ${run}` }).click();
  await page.waitForFunction(() => document.querySelector('#composer-text')?.value === '');
  await page.locator('.conversation-row', { hasText: `Draft a ${run}` }).click();
  await page.waitForFunction(() => document.querySelector('#composer-text')?.value === 'Half-written answer');
  await page.reload();
  await hydrated(page);
  await page.waitForFunction(() => document.querySelector('#composer-text')?.value === 'Half-written answer');
  await page.press('#composer-text', 'Enter');
  await page.locator('.bubble-row.outbound', { hasText: 'Half-written answer' }).waitFor();
  await page.reload();
  await hydrated(page);
  assert.equal(await page.locator('#composer-text').inputValue(), '', 'a sent reply is no draft');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the inbox works from the keyboard', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.goto('/conversations?status=archived');
  await hydrated(page);
  const rows = page.locator('.conversation-row');
  await rows.nth(1).waitFor();
  // j / k move through the list, Enter opens.
  await page.keyboard.press('j');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('conversation-row')), true);
  const first = await page.evaluate(() => document.activeElement.dataset.conversationId);
  await page.keyboard.press('j');
  const second = await page.evaluate(() => document.activeElement.dataset.conversationId);
  assert.notEqual(first, second);
  await page.keyboard.press('k');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.conversationId), first);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/conversations/${first}`));
  await page.locator('[data-testid=archive-toggle]', { hasText: 'Reopen' }).waitFor();
  // Typing a j in the reply box is a j; Esc leaves the box.
  await page.click('#composer-text');
  await page.keyboard.type('jk');
  assert.equal(await page.inputValue('#composer-text'), 'jk');
  await page.keyboard.press('Escape');
  assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'composer-text');
  await page.fill('#composer-text', '');
  await page.keyboard.press('Escape');
  // Alt+A reopens (it is archived here), and archives again.
  await page.keyboard.press('Alt+a');
  await page.locator('[data-testid=archive-toggle]', { hasText: 'Archive' }).waitFor();
  await page.keyboard.press('Alt+a');
  await page.locator('[data-testid=archive-toggle]', { hasText: 'Reopen' }).waitFor();
  // / searches; ? lists the shortcuts.
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'list-search');
  await page.keyboard.press('Escape');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('?');
  await page.locator('[data-testid=shortcuts]', { hasText: 'Archive or reopen' }).waitFor();
  await shot(page, 'keyboard-shortcuts');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=shortcuts]').waitFor({ state: 'detached' });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
