// "+ Conversation": the owner connects an SMS number, opens a client who never wrote,
// starts an SMS conversation from the client's page and sends the first message, which
// goes to the fake Twilio API with the client's number; and writes to numbers that belong
// to nobody: a missed call's from the Calls page, a typed one from the inbox (on a phone).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, startFakeProviders, OWNER, PHONE, PROVIDER_PORT } from './support.mjs';

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

/// Connects an SMS (Twilio) number of the shop's, named `${name} ${number}`; returns the number.
async function connectSms(owner, name, prefix) {
  await owner.goto('/settings/conversations');
  await hydrated(owner);
  const number = `${prefix}${String(Date.now()).slice(-7)}`;
  const form = owner.locator('form[data-testid=add-channel]');
  await form.locator('select[name=kind]').selectOption('twilio_sms');
  await form.locator('input[name=name]').fill(`${name} ${number}`);
  await form.locator('input[name=account_sid]').fill('AC00000000000000000000000000000000');
  await form.locator('input[name=auth_token]').fill('e2e-token');
  await form.locator('input[name=phone_number]').fill(number);
  await form.locator('button[type=submit]').click();
  await owner.locator('.channel-card', { hasText: number }).locator('[data-testid=webhook-url]').waitFor();
  return number;
}

/// Sends `text` from the open conversation's composer; returns what the fake Twilio got.
async function sendFirst(owner, text) {
  await owner.waitForURL('**/conversations/*');
  await owner.locator('#composer-text').waitFor();
  await hydrated(owner);
  await owner.fill('#composer-text', text);
  await owner.press('#composer-text', 'Enter');
  await owner.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=sent]'));
  const sms = providers.sent.find((r) => r.form.Body === text);
  assert.ok(sms, 'Twilio was asked to send the SMS');
  return sms;
}

test('a new SMS conversation with a client who never wrote', { skip: !PROVIDER_PORT && 'CONFAB_E2E_PROVIDER_PORT is not set' }, async () => {
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  const number = await connectSms(owner, 'Shop SMS', '+1555');

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
  const sms = await sendFirst(owner, 'Hi Rita, your bike is ready for pick-up.');
  assert.equal(sms.form.To, '+5511912340000');
  assert.equal(sms.form.From, number);
  // The conversation is linked to Rita: her card is in the panel.
  await owner.locator('[data-testid=client-card]', { hasText: 'Rita Ramos' }).waitFor();
  await shot(owner, 'start-conversation-sent');
  assert.deepEqual(owner.errors, []);
});

test('a missed call from an unknown number is answered by SMS from the Calls page', { skip: !PROVIDER_PORT && 'CONFAB_E2E_PROVIDER_PORT is not set' }, async () => {
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  const shop = await connectSms(owner, 'Calls SMS', '+1556');

  // A missed call from a number nobody has.
  // 415-555-xxxx: a valid US number whatever the clock says (an exchange never starts with 0 or 1).
  const caller = `+1415555${String(Date.now()).slice(-4)}`;
  await owner.goto('/calls');
  await hydrated(owner);
  await owner.click('[data-testid=log-call]');
  const call = owner.locator('form[data-testid=log-call-form]');
  await call.locator('input[name=phone]').fill(caller);
  await call.locator('select[name=direction]').selectOption('missed');
  await call.locator('button[type=submit]').click();
  await owner.locator('.banner[role=status]').waitFor();
  await owner.goto(`/calls?q=${encodeURIComponent(caller.slice(1))}`);
  await hydrated(owner);
  const row = owner.locator('[data-testid=call-row]').first();
  await row.waitFor();
  await row.locator('[data-testid=start-conversation]').click();
  const option = row.locator('.start-option', { hasText: `Calls SMS ${shop}` });
  await option.waitFor();
  await option.click();
  const sms = await sendFirst(owner, 'Sorry we missed your call. How can we help?');
  assert.equal(sms.form.To, caller);
  assert.equal(sms.form.From, shop);
  await shot(owner, 'missed-call-answered');
  assert.deepEqual(owner.errors, []);
});

test('any number is written to from the inbox (phone, Portuguese)', { skip: !PROVIDER_PORT && 'CONFAB_E2E_PROVIDER_PORT is not set' }, async () => {
  const owner = await newPage(browser, PHONE, { locale: 'pt-BR' });
  await signIn(owner, OWNER);
  const shop = await connectSms(owner, 'Inbox SMS', '+1557');
  await owner.goto('/conversations');
  await hydrated(owner);
  await owner.locator('.list-title [data-testid=start-conversation]').click();
  const form = owner.locator('[data-testid=start-number-form]');
  // A number no plan allows says why, in Portuguese; what was typed stays.
  await form.locator('input[name=phone]').fill('12');
  await form.locator('button[type=submit]').click();
  await owner.locator('.list-title .start-options [role=alert]').waitFor();
  assert.equal(await form.locator('input[name=phone]').inputValue(), '12');
  // A Brazilian mobile written the local way.
  const stamp = String(Date.now());
  const local = `(21) 98${stamp.slice(-7, -4)}-${stamp.slice(-4)}`;
  await form.locator('input[name=phone]').fill(local);
  await form.locator('button[type=submit]').click();
  const option = owner.locator('.list-title .start-option', { hasText: `Inbox SMS ${shop}` });
  await option.waitFor();
  // The menu fits the phone's width.
  const box = await owner.locator('.list-title .start-options').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, JSON.stringify(box));
  await shot(owner, 'start-number-inbox-phone');
  await option.click();
  const sms = await sendFirst(owner, 'Olá! Aqui é da oficina.');
  assert.equal(sms.form.To, `+55${local.replace(/\D/g, '')}`);
  assert.equal(sms.form.From, shop);
  assert.deepEqual(owner.errors, []);
});
