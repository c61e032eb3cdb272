// The README's screenshots, taken from the running product: the inbox at 1280×800 in
// English, the inbox on a phone (390×844) in Portuguese, a practice channel's lead on
// /sandbox, and the CRM (the Clients list with a number's card, an estimate's page). `scripts/screenshots` writes them to docs/ (CONFAB_README_SHOTS); the test run
// writes them to end2end/artifacts/, so the script keeps working.
import { test, before, after } from 'node:test';
import { launch, newPage, signIn, hydrated, ARTIFACTS, OWNER, DESKTOP, PHONE } from './support.mjs';

const OUT = process.env.CONFAB_README_SHOTS ? `${process.env.CONFAB_README_SHOTS.replace(/\/$/, '')}/` : `${ARTIFACTS}readme-`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openDemoConversation(page, name) {
  await page.locator('.conversation-row', { hasText: name }).first().click();
  await page.locator('.bubble-row').first().waitFor();
  await page.waitForTimeout(300);
}

test('the README screenshots', async () => {
  const desktop = await newPage(browser, DESKTOP, { locale: 'en-US' });
  await signIn(desktop, OWNER);
  await openDemoConversation(desktop, 'Maria Souza');
  await desktop.screenshot({ path: `${OUT}screenshot.png` });

  const phone = await newPage(browser, PHONE, { locale: 'pt-BR' });
  await signIn(phone, OWNER);
  await phone.screenshot({ path: `${OUT}screenshot-phone-pt.png` });

  // A practice WhatsApp lead, as the lead's page shows it.
  const lead = await desktop.context().newPage();
  await lead.goto('/sandbox');
  await hydrated(lead);
  await lead.locator('.tabs a[data-kind=whatsapp]').click();
  await lead.locator('.composer button[type=submit]:not([disabled])').waitFor();
  await lead.fill('#lead-name', 'Carla Dias');
  await lead.fill('#lead-text', 'Oi! Vocês trocam a bateria do iPhone 12? Quanto fica?');
  await lead.press('#lead-text', 'Enter');
  await lead.locator('.bubble-row.outbound').first().waitFor();
  await lead.screenshot({ path: `${OUT}screenshot-practice.png` });

  // The CRM: the Clients list with a number's card open, and an estimate's page.
  await desktop.goto('/clients');
  await hydrated(desktop);
  const number = desktop.locator('.phone-number[data-phone="+5511987654321"]').first();
  await number.locator('.phone-button').hover();
  await number.locator('[data-testid=phone-card-conversations] a').first().waitFor();
  await desktop.screenshot({ path: `${OUT}screenshot-clients.png` });
  await desktop.goto('/estimates');
  await hydrated(desktop);
  // Maria's: made from her conversation.
  await desktop.locator('[data-testid=documents-table] tr', { hasText: 'Maria Souza' }).first().locator('a[href^="/documents/"]').click();
  await desktop.locator('[data-testid=document-detail]').waitFor();
  await desktop.waitForTimeout(300);
  await desktop.screenshot({ path: `${OUT}screenshot-document.png` });
  await desktop.context().close();
  await phone.context().close();
});
