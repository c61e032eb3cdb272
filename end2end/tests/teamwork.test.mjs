// A team answers together (issue 24): two employees in two browsers, each with their own
// unread; Ana assigns a conversation to Bruno, whose Mine list shows it live and who is
// told. Run twice: Ana on a desktop in English with Bruno on a phone in Portuguese, and
// the other way round.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, signIn, hydrated, shot, sandboxChannels, newLead, leadWrites,
  AGENT, OWNER, DESKTOP, PHONE,
} from './support.mjs';

let browser;
let bruno;
before(async () => {
  browser = await launch();
  // Bruno: an agent with the sandbox channel, made by the owner.
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  const team = await (await owner.request.post('/api/settings_team')).json();
  const agentRole = team.roles.find((r) => r.name === 'Agent');
  const sandbox = (await sandboxChannels())[0];
  bruno = { email: `bruno-${Date.now() % 1000000}@demo.confab`, password: 'bruno-long-pass', name: 'Bruno Costa' };
  const created = await owner.request.post('/api/create_employee', {
    data: { name: bruno.name, email: bruno.email, password: bruno.password, role_id: agentRole.id, channel_ids: [sandbox.id] },
  });
  assert.equal(created.status(), 200, await created.text());
  // A saved reply, made in Settings › Saved replies.
  await owner.goto('/settings/replies');
  await hydrated(owner);
  const form = owner.locator('[data-testid=saved-reply-form]');
  await form.locator('input[name=title]').fill('Bike repair');
  await form.locator('textarea[name=body]').fill('Hi {client.name}, bring the bike in today and we fix it by 6.');
  await form.locator('[data-testid=saved-reply-save]').click();
  await owner.locator('[data-testid=saved-reply]', { hasText: 'Bike repair' }).waitFor();
  await shot(owner, 'settings-saved-replies');
  assert.deepEqual(owner.errors, []);
  await owner.context().close();
});
after(async () => { await browser?.close(); });

const WORDS = {
  'en-US': { mine: 'Mine', assigned: 'assigned you the conversation with', mentioned: 'mentioned you in the conversation with', typing: 'Ana Agent is typing…', meanwhile: 'Ana Agent answered this lead since you opened the conversation' },
  'pt-BR': { mine: 'Minhas', assigned: 'atribuiu a você a conversa com', mentioned: 'mencionou você na conversa com', typing: 'Ana Agent está digitando…', meanwhile: 'Ana Agent respondeu a este lead depois que você abriu a conversa' },
};

for (const [anaAt, brunoAt] of [
  [{ viewport: DESKTOP, locale: 'en-US', label: 'desktop-en' }, { viewport: PHONE, locale: 'pt-BR', label: 'phone-pt' }],
  [{ viewport: PHONE, locale: 'pt-BR', label: 'phone-pt' }, { viewport: DESKTOP, locale: 'en-US', label: 'desktop-en' }],
]) {
  test(`own unread and assignment, Ana ${anaAt.label}, Bruno ${brunoAt.label}`, async () => {
    const ana = await newPage(browser, anaAt.viewport, { locale: anaAt.locale });
    await signIn(ana, AGENT);
    const brunoPage = await newPage(browser, brunoAt.viewport, { locale: brunoAt.locale });
    await signIn(brunoPage, bruno);

    // Bruno watches his Mine list (chip), Ana the whole list.
    await brunoPage.locator('.chips a.chip', { hasText: WORDS[brunoAt.locale].mine }).click();
    await brunoPage.waitForURL(/assignee=mine/);
    await hydrated(brunoPage);

    // A lead writes: unread for both.
    const sandbox = (await sandboxChannels())[0];
    const lead = await newLead();
    const leadName = `Team Lead ${Date.now() % 100000}`;
    const sent = await leadWrites(sandbox.id, lead, { name: leadName, messageId: `team-${Date.now()}`, text: 'Who can fix my bike?' });
    assert.equal(sent.status, 200);
    const anaRow = ana.locator('.conversation-row', { hasText: leadName });
    await anaRow.locator('[data-testid=unread]').waitFor();
    const brunoAll = await newPage(browser, brunoAt.viewport, { locale: brunoAt.locale });
    await signIn(brunoAll, bruno);
    const brunoRow = brunoAll.locator('.conversation-row', { hasText: leadName });
    await brunoRow.locator('[data-testid=unread]').waitFor();

    // Ana opens it: read for her, still unread for Bruno.
    await anaRow.click();
    await ana.waitForURL(/\/conversations\/\d+/);
    await hydrated(ana);
    await ana.locator('.bubble-row.inbound', { hasText: 'Who can fix my bike?' }).waitFor();
    if (anaAt.viewport === PHONE) {
      await ana.locator('.back-button').click();
      await ana.waitForURL((url) => url.pathname === '/conversations');
    }
    await ana.locator('.conversation-row', { hasText: leadName }).waitFor();
    await ana.waitForFunction((name) => {
      const row = [...document.querySelectorAll('.conversation-row')].find((r) => r.textContent.includes(name));
      return row && !row.querySelector('[data-testid=unread]');
    }, leadName);
    await brunoAll.waitForTimeout(500);
    assert.equal(await brunoRow.locator('[data-testid=unread]').count(), 1, 'still unread for Bruno');
    await brunoAll.context().close();

    // Ana assigns it to Bruno from the conversation's header.
    if (anaAt.viewport === PHONE) {
      await ana.locator('.conversation-row', { hasText: leadName }).click();
      await ana.waitForURL(/\/conversations\/\d+/);
      await hydrated(ana);
    }
    const picker = ana.locator('select[data-testid=assignee]');
    await picker.locator('option', { hasText: bruno.name }).waitFor({ state: 'attached' });
    await picker.selectOption({ label: bruno.name });
    await ana.waitForFunction(() => document.querySelector('select[data-testid=assignee]')?.selectedOptions[0]?.textContent === 'Bruno Costa');
    await ana.locator('[data-testid=history] li', { hasText: bruno.name }).first().waitFor({ state: 'attached' });
    await shot(ana, `team-assign-${anaAt.label}`);

    // Bruno's Mine list shows it live, with his name on the row, and he is told.
    const mine = brunoPage.locator('.conversation-row', { hasText: leadName });
    await mine.waitFor();
    assert.equal(await mine.locator('[data-testid=row-assignee]').textContent(), bruno.name);
    const notice = brunoPage.locator('[data-testid=team-notice]');
    await notice.waitFor();
    assert.match(await notice.textContent(), new RegExp(`Ana Agent ${WORDS[brunoAt.locale].assigned} ${leadName}`));
    // The notice fits the screen.
    const box = await notice.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= brunoAt.viewport.width + 1, JSON.stringify(box));
    await shot(brunoPage, `team-mine-${brunoAt.label}`);
    await notice.locator('a').click();
    await brunoPage.waitForURL(/\/conversations\/\d+/);
    await hydrated(brunoPage);
    await brunoPage.locator('.bubble-row.inbound', { hasText: 'Who can fix my bike?' }).waitFor();

    // Ana leaves Bruno a note: "@Bru", the menu, Enter. It shows in both threads in the
    // notes' colour, is no message to the lead, and tells Bruno.
    await ana.locator('[data-testid=tab-note]').click();
    const noteBox = ana.locator('#note-text');
    await noteBox.fill('@Bru');
    await ana.locator('[data-testid=mention-menu] li', { hasText: bruno.name }).waitFor();
    await noteBox.press('Enter');
    assert.equal(await noteBox.inputValue(), `@${bruno.name} `);
    await noteBox.pressSequentially('can you call them? The spare part is in.');
    await noteBox.press('Enter');
    await ana.locator('[data-testid=note]', { hasText: 'The spare part is in.' }).waitFor();
    await brunoPage.locator('[data-testid=note]', { hasText: 'The spare part is in.' }).waitFor();
    await brunoPage.locator('[data-testid=team-notice]', { hasText: WORDS[brunoAt.locale].mentioned }).waitFor();
    assert.equal(await ana.locator('.bubble-row', { hasText: 'The spare part is in.' }).count(), 0, 'not a message');
    await shot(ana, `team-note-${anaAt.label}`);
    await shot(brunoPage, `team-note-seen-${brunoAt.label}`);

    // Bruno answers with a saved reply: "/bik", the menu, Enter; the lead's name is in.
    await brunoPage.locator('[data-testid=tab-reply]').click();
    const reply = brunoPage.locator('#composer-text');
    await reply.fill('/bik');
    await brunoPage.locator('[data-testid=saved-reply-menu] li', { hasText: 'Bike repair' }).waitFor();
    await reply.press('Enter');
    assert.equal(await reply.inputValue(), `Hi ${leadName}, bring the bike in today and we fix it by 6.`);
    await shot(brunoPage, `team-saved-reply-${brunoAt.label}`);

    // Ana types an answer: Bruno sees it live; she sends it first, so Bruno's Enter asks.
    await ana.locator('[data-testid=tab-reply]').click();
    const anaReply = ana.locator('#composer-text');
    await anaReply.pressSequentially('We can fix it today.', { delay: 20 });
    await brunoPage.locator('[data-testid=presence]', { hasText: WORDS[brunoAt.locale].typing }).waitFor();
    await shot(brunoPage, `team-typing-${brunoAt.label}`);
    await anaReply.press('Enter');
    await brunoPage.locator('.bubble-row.outbound', { hasText: 'We can fix it today.' }).waitFor();
    const asked = new Promise((resolve) => brunoPage.once('dialog', async (dialog) => {
      resolve(dialog.message());
      await dialog.dismiss();
    }));
    await reply.press('Enter');
    assert.match(await asked, new RegExp(WORDS[brunoAt.locale].meanwhile));
    // Not sent: his text is still there, and only Ana's answer is in the thread.
    assert.equal(await reply.inputValue(), `Hi ${leadName}, bring the bike in today and we fix it by 6.`);
    assert.equal(await brunoPage.locator('.bubble-row.outbound').count(), 1);

    assert.deepEqual(ana.errors, []);
    assert.deepEqual(brunoPage.errors, []);
    await ana.context().close();
    await brunoPage.context().close();
  });
}
