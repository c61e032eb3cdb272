// From a conversation to work: link the lead to an existing client by part of a phone
// number, see the client card with their conversations and documents, create an estimate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newLeadPage, signIn, hydrated, shot } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('link a client by phone, see the card, create an estimate', async () => {
  const lead = await newLeadPage(browser);
  await lead.goto('/sandbox');
  await hydrated(lead);
  const leadName = `Card Lead ${Date.now() % 100000}`;
  await lead.fill('#lead-name', leadName);
  await lead.fill('#lead-text', 'Hi, this is João from my other number');
  await lead.press('#lead-text', 'Enter');
  await lead.locator('[data-from-lead=true]').first().waitFor();

  const page = await newPage(browser);
  await signIn(page);
  await page.locator('.conversation-row', { hasText: leadName }).click();
  await page.waitForURL(/\/conversations\/\d+/);
  await hydrated(page);
  await page.fill('#client-search', '99887');
  const result = page.locator('[data-testid=client-results] li', { hasText: 'João Lima' });
  await result.waitFor();
  await result.locator('button', { hasText: 'Link' }).click();

  const card = page.locator('[data-testid=client-card]');
  await card.locator('h3', { hasText: 'João Lima' }).waitFor();
  // João's number as a Brazilian business reads it; E.164 stays in data-phone.
  await card.locator('.phone-number[data-phone="+5521998877665"]', { hasText: '(21) 99887-7665' }).waitFor();
  assert.ok(await card.locator('[data-testid=client-conversations] li').count() >= 2, 'this and the demo conversation');
  assert.ok(await card.locator('[data-testid=documents] li').count() >= 3, 'the demo documents');

  const title = `Laptop diagnosis ${Date.now() % 100000}`;
  const form = page.locator('[data-testid=create-document]');
  await form.locator('input[name=title]').fill(title);
  await form.locator('input[name=amount]').fill('380,00');
  await form.locator('button[type=submit]').click();
  const listed = page.locator('.panel-card li', { hasText: title });
  await listed.first().waitFor();
  assert.match(await listed.first().textContent(), /E-\d{4}/);
  assert.match(await listed.first().textContent(), /380\.00/);
  await card.locator('[data-testid=documents] li', { hasText: title }).waitFor();
  // Each number opens its document's page; the card reaches all of the client's documents.
  const link = card.locator('[data-testid=documents] li', { hasText: title }).locator('a');
  assert.match(await link.getAttribute('href'), /^\/documents\/\d+$/);
  assert.match(await card.locator('[data-testid=all-client-documents]').getAttribute('href'), /^\/clients\/\d+$/);
  await shot(page, 'client-card');
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await lead.context().close();
});
