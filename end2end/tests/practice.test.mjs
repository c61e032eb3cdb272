// The practice channels of a fresh demo (issue 23): one of each kind, connected to the
// simulator built into Confab. The owner plays a lead on each from /sandbox (in another
// tab of the same browser: practice leads are played by employees) and answers in the
// inbox, where each conversation shows its channel's ways: Messenger's read receipt and
// its 7-day lock with the way out, WhatsApp's 24-hour lock and a template that goes out,
// Instagram's nickname, SMS's number. Screenshots of each at desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const KINDS = ['messenger', 'instagram', 'whatsapp', 'twilio_sms'];

/// The owner's inbox page and, in the same browser context, the lead's page.
async function ownerAndLead(viewport) {
  const owner = await newPage(browser, viewport);
  await signIn(owner, OWNER);
  const lead = await owner.context().newPage();
  lead.errors = [];
  lead.on('pageerror', (err) => lead.errors.push(err.message));
  return { owner, lead };
}

/// Opens the lead's page of the practice channel of `kind`.
async function openLead(lead, kind) {
  await lead.goto('/sandbox');
  await hydrated(lead);
  await lead.locator(`.tabs a[data-kind=${kind}]`).click();
  await lead.locator(`[data-testid=practice-chat][data-kind=${kind}]`).waitFor();
  await hydrated(lead);
  // Ready once the server made this browser a lead (its cookie).
  await lead.locator('.composer button[type=submit]:not([disabled])').waitFor();
}

async function leadWrites(lead, text) {
  await lead.fill('#lead-name', 'Paula Lima');
  await lead.fill('#lead-text', text);
  await lead.press('#lead-text', 'Enter');
  await lead.locator('.bubble-row.outbound', { hasText: text }).waitFor();
}

/// Moves the lead's clock `hours` forward and waits until the simulator has done it.
async function later(lead, hours) {
  const done = lead.waitForResponse((r) => r.url().includes('/sandbox/practice/') && r.request().postData()?.includes('"later"'));
  await lead.locator(`[data-testid=later-${hours}]`).click();
  assert.equal((await done).status(), 200);
}

/// Opens the conversation whose last message is `text` in the inbox.
async function openConversation(owner, text) {
  await owner.goto('/conversations');
  await hydrated(owner);
  const row = owner.locator('.conversation-row', { hasText: text });
  await row.waitFor({ timeout: 10000 });
  assert.equal(await row.locator('[data-testid=practice-tag]').count(), 1, 'marked as practice in the list');
  await row.click();
  await owner.locator('.bubble-row.inbound', { hasText: text }).waitFor();
}

test('a lead on each practice channel reaches the inbox with the channel\'s details', async () => {
  for (const [viewport, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    const { owner, lead } = await ownerAndLead(viewport);
    for (const kind of KINDS) {
      const text = `Practice ${kind} ${width} ${Date.now()}`;
      await openLead(lead, kind);
      if (kind === 'instagram') await lead.fill('#lead-username', 'paula.lima');
      await leadWrites(lead, text);
      await openConversation(owner, text);
      const header = owner.locator('.thread-title');
      await header.locator('[data-testid=practice-tag]').waitFor();
      const label = { messenger: 'Messenger', instagram: 'Instagram', whatsapp: 'WhatsApp', twilio_sms: 'SMS' }[kind];
      assert.match(await header.textContent(), new RegExp(label));
      if (kind === 'messenger' || kind === 'instagram') {
        // The name came from the simulator's profile API.
        await owner.locator('.thread-title h2', { hasText: 'Paula Lima' }).waitFor();
      }
      await shot(owner, `practice-${kind}-${width}`);
      await shot(lead, `practice-${kind}-lead-${width}`);
    }
    assert.deepEqual(owner.errors, []);
    assert.deepEqual(lead.errors, []);
    await owner.context().close();
  }
});

test('Messenger: a read on the lead\'s page shows Read, and 8 days later the composer locks with its link', async () => {
  const { owner, lead } = await ownerAndLead(DESKTOP);
  const text = `Messenger clock ${Date.now()}`;
  await openLead(lead, 'messenger');
  await leadWrites(lead, text);
  await openConversation(owner, text);
  await owner.locator('[data-testid=window-note]').waitFor();
  const reply = `Sure, come by today ${Date.now()}`;
  await owner.fill('#composer-text', reply);
  await owner.press('#composer-text', 'Enter');
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=delivered]'), null, { timeout: 10000 });
  // The reply reached the lead's phone; the lead reads it.
  await lead.locator('.bubble-row.inbound', { hasText: reply }).waitFor();
  await lead.locator('[data-testid=lead-read]').click();
  const marker = owner.locator('[data-testid=read-marker]');
  await marker.waitFor({ timeout: 10000 });
  assert.match(await marker.textContent(), /^Read \d{1,2}:\d{2}/);
  // The business saw the lead's message: the lead's phone says so.
  await lead.locator('.bubble-row.outbound .practice-mark', { hasText: 'Seen' }).waitFor();
  await shot(owner, 'practice-messenger-read');
  // Eight days later: past the human-agent week, the composer locks with the way out.
  await later(lead, 192);
  await owner.reload();
  await hydrated(owner);
  const locked = owner.locator('[data-testid=composer-locked]');
  await locked.waitFor();
  assert.match(await locked.textContent(), /Messenger allows replies only for a while/);
  const link = locked.getByRole('link', { name: 'Continue in Messenger' });
  assert.match(await link.getAttribute('href'), /^\/sandbox\?channel=\d+$/);
  await shot(owner, 'practice-messenger-locked');
  assert.deepEqual(owner.errors, []);
  assert.deepEqual(lead.errors, []);
  await owner.context().close();
});

test('WhatsApp: past 24 hours the composer locks and a template goes out', async () => {
  const { owner, lead } = await ownerAndLead(DESKTOP);
  const text = `WhatsApp clock ${Date.now()}`;
  await openLead(lead, 'whatsapp');
  await leadWrites(lead, text);
  await openConversation(owner, text);
  await later(lead, 25);
  await owner.reload();
  await hydrated(owner);
  const locked = owner.locator('[data-testid=composer-locked]');
  await locked.waitFor();
  assert.equal(await owner.locator('#composer-text').count(), 0);
  await locked.locator('[data-testid=pick-template]').click();
  const picker = owner.locator('[data-testid=template-picker]');
  await picker.locator('select[name=template]').waitFor();
  const options = await picker.locator('select[name=template] option').allTextContents();
  const index = options.findIndex((o) => o.startsWith('retomar_contato')) - 1;
  assert.ok(index >= 0, `the simulator's templates: ${options}`);
  await picker.locator('select[name=template]').selectOption(String(index));
  await picker.locator('input[name=param1]').fill('Paula');
  const rendered = 'Olá Paula! Aqui é da loja. Podemos continuar nossa conversa?';
  assert.equal(await picker.locator('[data-testid=template-preview]').textContent(), rendered);
  await picker.locator('button[type=submit]').click();
  await owner.locator('.bubble-row.outbound', { hasText: rendered }).waitFor();
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=delivered]'), null, { timeout: 10000 });
  await lead.locator('.bubble-row.inbound', { hasText: rendered }).waitFor();
  await shot(owner, 'practice-whatsapp-template');
  await shot(lead, 'practice-whatsapp-template-lead');
  assert.deepEqual(owner.errors, []);
  assert.deepEqual(lead.errors, []);
  await owner.context().close();
});

test('SMS: a text to a phone that is off fails, and the employee is told', async () => {
  const { owner, lead } = await ownerAndLead(PHONE);
  const text = `SMS phone ${Date.now()}`;
  await openLead(lead, 'twilio_sms');
  await leadWrites(lead, text);
  await lead.locator('[data-testid=phone-off]').check();
  await openConversation(owner, text);
  await owner.fill('#composer-text', 'Are you there?');
  await owner.press('#composer-text', 'Enter');
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=failed]'), null, { timeout: 15000 });
  await shot(owner, 'practice-twilio_sms-failed');
  assert.deepEqual(owner.errors, []);
  await owner.context().close();
});
