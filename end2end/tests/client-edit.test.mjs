// Clients kept by hand: the owner creates a client with two labelled numbers from the
// Clients page, corrects it on the client's page (the history says what changed), merges a
// second client into it and deletes it; at desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function createClient(page, name, phone, label) {
  await page.goto('/clients');
  await hydrated(page);
  await page.click('[data-testid=new-client]');
  const form = page.locator('form[data-testid=client-form]');
  await form.locator('input[name=name]').fill(name);
  await form.locator('[data-testid=client-phone]').first().fill(phone);
  await form.locator('.phone-row select').first().selectOption(label);
  await form.locator('[data-testid=client-save]').click();
  await page.waitForURL(/\/clients\/\d+$/);
  await page.locator('[data-testid=client-detail]').waitFor();
  await hydrated(page);
}

for (const [width, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`a client is created, corrected, merged and deleted (${width})`, async () => {
    const page = await newPage(browser, viewport);
    page.on('dialog', (d) => d.accept());
    await signIn(page, OWNER);
    const stamp = `${width} ${Date.now()}`;
    const digits = String(Date.now()).slice(-4);

    await createClient(page, `Bia ${stamp}`, `(11) 97777-${digits}`, 'home');
    await createClient(page, `Ana ${stamp}`, `(11) 98888-${digits}`, 'mobile');
    await page.getByRole('heading', { name: `Ana ${stamp}` }).waitFor();

    // A second, work number and an email; the history names what changed.
    await page.click('[data-testid=edit-client]');
    const form = page.locator('form[data-testid=client-form]');
    await form.locator('[data-testid=add-phone]').click();
    await form.locator('[data-testid=client-phone]').nth(1).fill(`(11) 3333-${digits}`);
    await form.locator('.phone-row select').nth(1).selectOption('work');
    await form.locator('input[name=email]').fill(`ana.${digits}@example.com`);
    await form.locator('[data-testid=client-save]').click();
    await page.locator('[data-testid=client-history] li[data-what=updated]').waitFor();
    const detail = await page.locator('[data-testid=client-detail]').innerText();
    assert.match(detail, new RegExp(`ana\\.${digits}@example\\.com`));
    assert.match(detail, /3333/);
    await shot(page, `client-edited-${width}`);
    // The page as the server renders it, history included, hydrates cleanly.
    await page.reload();
    await page.locator('[data-testid=client-history] li[data-what=updated]').waitFor();
    await hydrated(page);
    assert.deepEqual(page.errors, []);

    // Bia merged in: her number comes along, she is gone from the list.
    await page.locator('[data-testid=merge-search]').fill(`Bia ${stamp}`);
    await page.locator('[data-testid=merge-pick]').first().click();
    await page.locator('[data-testid=client-history] li[data-what=merged]').waitFor();
    assert.match(await page.locator('[data-testid=client-detail]').innerText(), /97777/);

    await page.click('[data-testid=client-delete]');
    await page.waitForURL(/\/clients$/);
    await page.goto(`/clients?q=${encodeURIComponent(stamp)}`);
    await hydrated(page);
    assert.equal(await page.getByRole('link', { name: `Ana ${stamp}` }).count(), 0);
    assert.equal(await page.getByRole('link', { name: `Bia ${stamp}` }).count(), 0);
    await page.context().close();
  });
}
