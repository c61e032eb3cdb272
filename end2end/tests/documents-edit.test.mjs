// Documents made and kept by hand: the owner creates an estimate for a client from the
// Estimates page, edits its status, turns it into a work order and that into an invoice
// (each page names the one it was made from), filters the Invoices list by status, and
// makes a lead from the client's page; at desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function pickClient(form, text, name) {
  await form.locator('[data-testid=document-client-search]').fill(text);
  await form.locator('[data-testid=document-client-pick]', { hasText: name }).first().click();
  await form.locator('[data-testid=document-client]', { hasText: name }).waitFor();
}

async function number(page) {
  const heading = await page.locator('h1').innerText();
  return heading.split(' ').pop();
}

for (const [width, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`an estimate becomes a work order and an invoice (${width})`, async () => {
    const page = await newPage(browser, viewport);
    await signIn(page, OWNER);
    const stamp = `${width} ${Date.now()}`;

    await page.goto('/estimates');
    await hydrated(page);
    await page.click('[data-testid=new-document]');
    const form = page.locator('form[data-testid=document-form]');
    await form.locator('input[name=title]').fill(`Brakes ${stamp}`);
    await form.locator('input[name=amount]').fill('1.450,50');
    await pickClient(form, 'Maria', 'Maria Souza');
    await form.locator('[data-testid=document-save]').click();
    await page.waitForURL(/\/documents\/\d+$/);
    const detail = page.locator('[data-testid=document-detail]');
    await detail.waitFor();
    await hydrated(page);
    assert.match(await detail.innerText(), new RegExp(`Brakes ${stamp}`));
    assert.match(await detail.innerText(), /Draft/);
    assert.match(await detail.innerText(), /1,450\.50|1\.450,50/);
    const estimate = await number(page);

    // The status moves on; a refused amount says why and changes nothing.
    await page.click('[data-testid=edit-document]');
    await form.locator('input[name=amount]').fill('lots');
    await form.locator('[data-testid=document-save]').click();
    await form.locator('.field-error').waitFor();
    await form.locator('input[name=amount]').fill('1450.50');
    await form.locator('select[name=status]').selectOption('sent');
    await form.locator('[data-testid=document-save]').click();
    await form.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelector('[data-testid=document-detail]')?.innerText.includes('Sent'));
    await shot(page, `document-estimate-${width}`);

    // Estimate → work order → invoice, each naming its source.
    const estimateUrl = page.url();
    await page.click('[data-testid=convert-document]');
    await page.waitForURL((url) => url.href !== estimateUrl && /\/documents\/\d+$/.test(url.pathname));
    await page.locator('h1', { hasText: 'Work order' }).waitFor();
    assert.equal((await page.locator('[data-testid=document-source]').innerText()).trim(), estimate);
    await hydrated(page);
    const orderUrl = page.url();
    await page.click('[data-testid=convert-document]');
    await page.waitForURL((url) => url.href !== orderUrl && /\/documents\/\d+$/.test(url.pathname));
    await page.locator('h1', { hasText: 'Invoice' }).waitFor();
    await hydrated(page);
    const invoice = await number(page);
    assert.equal(await page.locator('[data-testid=convert-document]').count(), 0, 'an invoice converts no further');
    await shot(page, `document-invoice-${width}`);

    // The Invoices list filters by status.
    await page.goto('/invoices');
    await hydrated(page);
    await page.locator('[data-testid=status-filter] a[data-status=unpaid]').click();
    await page.waitForURL(/status=unpaid/);
    await page.locator('[data-testid=documents-table] a', { hasText: invoice }).waitFor();
    await page.locator('[data-testid=status-filter] a[data-status=paid]').click();
    await page.waitForURL(/status=paid/);
    // The unpaid list stays on screen until the paid one has loaded: wait for the invoice
    // to go (it was there a moment ago), rather than for any list.
    await page.locator('[data-testid=documents-table] a', { hasText: invoice }).waitFor({ state: 'detached' });

    // From the client's page: their documents, and a new lead made for them.
    await page.goto('/clients?q=Maria');
    await hydrated(page);
    await page.locator('a', { hasText: 'Maria Souza' }).first().click();
    await page.locator('[data-testid=client-documents]').waitFor();
    await hydrated(page);
    assert.match(await page.locator('[data-testid=client-documents]').innerText(), new RegExp(invoice));
    await page.locator('[data-testid=new-client-document]').selectOption('lead');
    const leadForm = page.locator('form[data-testid=document-form]');
    await leadForm.locator('[data-testid=document-client]', { hasText: 'Maria Souza' }).waitFor();
    await leadForm.locator('input[name=title]').fill(`Call back ${stamp}`);
    await leadForm.locator('[data-testid=document-save]').click();
    await page.waitForURL(/\/documents\/\d+$/);
    await page.locator('h1', { hasText: 'Lead' }).waitFor();
    assert.match(await page.locator('[data-testid=document-detail]').innerText(), /Maria Souza/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}
