// "+ Conversation": the owner connects an SMS number, opens a client who never wrote,
// starts an SMS conversation from the client's page and sends the first message, which
// goes to the fake Twilio API with the client's number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, startFakeProviders, OWNER, PROVIDER_PORT } from './support.mjs';

let browser;
let providers;

before(async () => {
  browser = await launch();
  providers = await startFakeProviders();
});
after(async () => {
  await browser?.close();
  await providers?.close();
});

test('a new SMS conversation with a client who never wrote', { skip: !PROVIDER_PORT && 'CONFAB_E2E_PROVIDER_PORT is not set' }, async () => {
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  await owner.goto('/settings/conversations');
  await hydrated(owner);
  const number = `+1555${String(Date.now()).slice(-7)}`;
  const form = owner.locator('form[data-testid=add-channel]');
  await form.locator('select[name=kind]').selectOption('twilio_sms');
  await form.locator('input[name=name]').fill(`Shop SMS ${number}`);
  await form.locator('input[name=account_sid]').fill('AC00000000000000000000000000000000');
  await form.locator('input[name=auth_token]').fill('e2e-token');
  await form.locator('input[name=phone_number]').fill(number);
  await form.locator('button[type=submit]').click();
  await owner.locator('.channel-card', { hasText: number }).locator('[data-testid=webhook-url]').waitFor();

  // Rita is a client with a phone number and no conversation anywhere.
  await owner.goto('/clients?q=Rita');
  await hydrated(owner);
  await owner.getByRole('link', { name: 'Rita Ramos' }).click();
  await owner.locator('[data-testid=client-detail]').waitFor();
  await hydrated(owner);
  await owner.click('[data-testid=start-conversation]');
  const option = owner.locator('.start-option', { hasText: `Shop SMS ${number}` });
  await option.waitFor();
  assert.match(await option.textContent(), /\(11\) 91234-0000/, 'the number as a Brazilian business writes it');
  // Messenger-like channels say why they cannot write first (the sandbox here).
  assert.match(await owner.locator('.start-option.unavailable', { hasText: 'Sandbox shop' }).textContent(), /only answer people who wrote/);
  await shot(owner, 'start-conversation-options');
  await option.click();
  await owner.waitForURL('**/conversations/*');
  await owner.locator('#composer-text').waitFor();
  await hydrated(owner);
  await owner.fill('#composer-text', 'Hi Rita, your bike is ready for pick-up.');
  await owner.press('#composer-text', 'Enter');
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=sent]'));
  const sms = providers.sent.find((r) => r.form.Body === 'Hi Rita, your bike is ready for pick-up.');
  assert.ok(sms, 'Twilio was asked to send the SMS');
  assert.equal(sms.form.To, '+5511912340000');
  assert.equal(sms.form.From, number);
  // The conversation is linked to Rita: her card is in the panel.
  await owner.locator('[data-testid=client-card]', { hasText: 'Rita Ramos' }).waitFor();
  await shot(owner, 'start-conversation-sent');
  assert.deepEqual(owner.errors, []);
});
