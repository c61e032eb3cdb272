// The client card on every phone number: on each CRM page that shows phone numbers,
// hovering Maria's number shows her card with her conversation; the card follows the
// employee's access.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const MARIA = '+5511987654321';
// As the page shows it: the demo business is Brazilian (national form).
const MARIA_SHOWN = '(11) 98765-4321';

test('hovering a phone number on each CRM page shows the client card', async () => {
  const page = await newPage(browser);
  await signIn(page, OWNER);
  for (const path of ['/clients', '/leads', '/orders', '/invoices', '/calls']) {
    await page.goto(path);
    await hydrated(page);
    const number = page.locator(`.phone-number[data-phone="${MARIA}"]`).first();
    assert.equal((await number.locator('.phone-button').textContent()).trim(), MARIA_SHOWN, path);
    await number.locator('.phone-button').hover();
    const card = number.locator('[data-testid=phone-card]');
    await card.locator('a', { hasText: 'Maria Souza' }).first().waitFor();
    await card.locator('[data-testid=phone-card-conversations] a', { hasText: 'Maria Souza' }).first().waitFor();
    if (path === '/invoices') await shot(page, 'phone-card-invoices');
    // Leaving the number closes the card; the page stays where it was.
    await page.mouse.move(5, 5);
    await card.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).pathname, path);
  }
  // From the card, chat in a modal without leaving the page.
  await page.goto('/invoices');
  await hydrated(page);
  const number = page.locator(`.phone-number[data-phone="${MARIA}"]`).first();
  await number.locator('.phone-button').hover();
  await number.locator('[data-testid=open-chat]').first().click();
  const modal = page.locator('[data-testid=chat-modal]');
  await modal.locator('#composer-text').waitFor();
  const text = `From the invoice ${Date.now() % 100000}`;
  await modal.locator('#composer-text').fill(text);
  await modal.locator('#composer-text').press('Enter');
  await page.waitForFunction((t) => [...document.querySelectorAll('[data-testid=chat-modal] .bubble-row.outbound')]
    .some((b) => b.textContent.includes(t) && b.dataset.status !== 'sending'), text);
  await shot(page, 'chat-modal-on-invoices');
  await modal.locator('[data-testid=close-chat]').click();
  await modal.waitFor({ state: 'detached' });
  assert.equal(new URL(page.url()).pathname, '/invoices', 'the page stays where it was');
  await page.locator('table[data-testid=documents-table]').waitFor();

  // Keyboard: focusing the number opens the card, Escape closes it.
  await page.goto('/clients');
  await hydrated(page);
  const button = page.locator(`.phone-number[data-phone="${MARIA}"] .phone-button`).first();
  await button.focus();
  await page.locator('[data-testid=phone-card]').first().waitFor();
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=phone-card]').waitFor({ state: 'detached' });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
