// A real channel, end to end: the owner connects a Messenger page in Settings, a fake
// Messenger lead writes (a webhook signed with the app secret, as Meta sends it), the
// message appears live; the reply goes to a fake Graph API and shows ✓, then ✓✓ and
// "Read" after Meta's delivery and read webhooks; a lead who last wrote 8 days ago gets
// a locked composer with a link to continue in Messenger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launch, newPage, signIn, hydrated, shot, startFakeProviders, BASE_URL, OWNER, PROVIDER_PORT } from './support.mjs';

const APP_SECRET = 'e2e-app-secret';
const PAGE_ID = `${Date.now()}`.slice(-12);

let browser;
let providers;
let sent;

before(async () => {
  browser = await launch();
  // Messenger webhooks carry no name: the fake User Profile API gives one.
  providers = await startFakeProviders({ profile: () => ({ first_name: 'Bea', last_name: `Bike ${PAGE_ID}` }) });
  sent = providers.sent;
});
after(async () => {
  await browser?.close();
  await providers?.close();
});

function signed(body) {
  return 'sha256=' + createHmac('sha256', APP_SECRET).update(body).digest('hex');
}

async function postWebhook(path, payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(new URL(path, BASE_URL), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signed(body) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

const entry = (messaging) => ({ object: 'page', entry: [{ id: PAGE_ID, time: Date.now(), messaging: [messaging] }] });

test('a Messenger lead, a reply with ✓ ✓✓ and Read, and the 7-day lock', { skip: !PROVIDER_PORT && 'CONFAB_E2E_PROVIDER_PORT is not set' }, async () => {
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  await owner.goto('/settings/conversations');
  await hydrated(owner);
  const form = owner.locator('form[data-testid=add-channel]');
  await form.locator('select[name=kind]').selectOption('messenger');
  const pageName = `E2E Page ${PAGE_ID}`;
  await form.locator('input[name=name]').fill(pageName);
  await form.locator('input[name=page_id]').fill(PAGE_ID);
  await form.locator('input[name=app_secret]').fill(APP_SECRET);
  await form.locator('input[name=access_token]').fill('EAAe2e');
  await form.locator('button[type=submit]').click();
  const card = owner.locator('.channel-card', { hasText: pageName });
  const webhook = await card.locator('[data-testid=webhook-url]').textContent();
  const verifyToken = await card.locator('[data-testid=verify-token]').textContent();
  assert.match(webhook, /\/webhooks\/messenger\/\d+$/);
  assert.match(verifyToken, /^confab-/);
  const path = new URL(webhook).pathname;
  // Meta's handshake works with the token shown.
  const handshake = await fetch(new URL(`${path}?hub.mode=subscribe&hub.challenge=4242&hub.verify_token=${verifyToken}`, BASE_URL));
  assert.equal(await handshake.text(), '4242');
  await shot(owner, 'settings-messenger-channel');

  // The lead writes; the message shows up live in the open inbox.
  await owner.goto('/conversations');
  await hydrated(owner);
  const psid = `psid-${PAGE_ID}`;
  const text = `Do you fix bikes? ${PAGE_ID}`;
  await postWebhook(path, entry({
    sender: { id: psid }, recipient: { id: PAGE_ID }, timestamp: Date.now(),
    message: { mid: `mid.${PAGE_ID}`, text },
  }));
  const row = owner.locator('.conversation-row', { hasText: text });
  await row.waitFor({ timeout: 10000 });
  // The name comes from the lead's Messenger profile, fetched once after the webhook.
  await owner.locator('.conversation-row', { hasText: `Bea Bike ${PAGE_ID}` }).waitFor();
  await row.click();
  await owner.locator('.bubble-row.inbound', { hasText: text }).waitFor();
  await owner.locator('[data-testid=window-note]', { hasText: 'Reply window open' }).waitFor();

  // The reply: ✓ once the fake Graph API took it.
  await owner.fill('#composer-text', 'Yes, bring it in today!');
  await owner.press('#composer-text', 'Enter');
  const reply = owner.locator('.bubble-row.outbound', { hasText: 'Yes, bring it in today!' });
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=sent]'));
  const request = sent.find((r) => r.json.message?.text === 'Yes, bring it in today!');
  assert.ok(request, 'the Send API was called');
  assert.equal(request.json.messaging_type, 'RESPONSE');
  assert.equal(request.json.recipient.id, psid);
  assert.ok(sent.some((r) => r.json.sender_action === 'mark_seen'), 'opening the conversation sent mark_seen');
  const mid = `m_e2e_${sent.indexOf(request) + 1}`;

  // ✓✓ on Meta's delivery webhook, then "Read" on its read webhook.
  const later = Date.now() + 1000;
  await postWebhook(path, entry({ sender: { id: psid }, recipient: { id: PAGE_ID }, delivery: { mids: [mid], watermark: later } }));
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=delivered]'));
  assert.equal((await reply.locator('.state').textContent()).trim(), '✓✓');
  await postWebhook(path, entry({ sender: { id: psid }, recipient: { id: PAGE_ID }, timestamp: later, read: { watermark: later } }));
  await owner.locator('[data-testid=read-marker]').waitFor();
  assert.match(await owner.locator('[data-testid=read-marker]').textContent(), /^Read \d{1,2}:\d{2}/);
  await shot(owner, 'messenger-reply-read');

  // A photo: picked, previewed, uploaded, sent to Messenger from a signed URL, shown.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await owner.locator('[data-testid=attach-input]').setInputFiles({ name: 'bike.png', mimeType: 'image/png', buffer: png });
  await owner.locator('[data-testid=file-preview]', { hasText: 'bike.png' }).waitFor();
  await owner.click('.send-button');
  await owner.locator('.bubble-row.outbound .attachment-image img').waitFor();
  await owner.waitForFunction(() => document.querySelector('[data-testid=file-preview]') === null);
  const photo = sent.find((r) => r.json.message?.attachment?.type === 'image');
  assert.ok(photo, 'the Send API got the image');
  const photoUrl = new URL(photo.json.message.attachment.payload.url);
  assert.match(photoUrl.pathname, /^\/media\/public\/\d+\/\d+-[0-9a-f]{64}$/);
  const fetched = await fetch(new URL(photoUrl.pathname, BASE_URL));
  assert.equal(fetched.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), png);

  // A lead whose last message is 8 days old: the composer is locked, with the way out.
  const oldText = `Old question ${PAGE_ID}`;
  await postWebhook(path, entry({
    sender: { id: `old-${psid}` }, recipient: { id: PAGE_ID }, timestamp: Date.now() - 8 * 24 * 3600 * 1000,
    message: { mid: `mid.old.${PAGE_ID}`, text: oldText },
  }));
  await owner.locator('.conversation-row', { hasText: oldText }).click();
  const locked = owner.locator('[data-testid=composer-locked]');
  await locked.waitFor();
  assert.match(await locked.textContent(), /Messenger allows replies only for a while/);
  const link = locked.getByRole('link', { name: 'Continue in Messenger' });
  assert.match(await link.getAttribute('href'), new RegExp(`asset_id=${PAGE_ID}`));
  assert.equal(await owner.locator('#composer-text').count(), 0);
  await shot(owner, 'messenger-locked-composer');
  assert.deepEqual(owner.errors, []);
});
