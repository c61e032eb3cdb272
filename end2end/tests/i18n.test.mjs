// Portuguese and English: the browser's language picks the first page's, the profile's
// choice wins over it (at once, after a reload, and in another browser at sign-in), and
// a page in Portuguese shows no English words of the UI, on a desktop and on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Words of the English UI that must not show on a Portuguese page (the demo's own data,
// such as names and messages, contains none of them).
const ENGLISH_UI = [
  'Conversations', 'Settings', 'Sign out', 'Archive', 'Search', 'Send', 'Reply', 'Unread',
  'Today', 'Yesterday', 'Clients', 'Invoices', 'Loading', 'Write a', 'conversation',
];

async function englishWordsOn(page) {
  const text = await page.evaluate(() => document.body.innerText);
  const attributes = await page.evaluate(() => [...document.querySelectorAll('[title],[aria-label],[placeholder]')]
    .flatMap((el) => ['title', 'aria-label', 'placeholder'].map((a) => el.getAttribute(a)).filter(Boolean))
    .join('\n'));
  const all = `${text}\n${attributes}`;
  return ENGLISH_UI.filter((word) => new RegExp(`\\b${word}\\b`).test(all));
}

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the inbox in Brazilian Portuguese from the browser's language (${size})`, async () => {
    const page = await newPage(browser, viewport, { locale: 'pt-BR' });
    await page.goto('/login');
    await hydrated(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
    await page.getByRole('heading', { name: 'Entrar no Confab' }).waitFor();
    assert.deepEqual(await englishWordsOn(page), []);

    await signIn(page);
    assert.match(await page.title(), /Conversas · Confab$/);
    const row = page.locator('.conversation-row').first();
    await row.waitFor();
    assert.deepEqual(await englishWordsOn(page), [], 'the list');
    await shot(page, `pt-BR-list-${size}`);

    await row.click();
    await page.waitForURL(/\/conversations\/\d+/);
    await page.locator('#composer-text').waitFor();
    await page.waitForFunction(() => document.querySelector('.day-separator, .date-separator')?.textContent.trim().length > 0);
    assert.deepEqual(await englishWordsOn(page), [], 'the conversation');
    // Dates in Portuguese: a separator is Hoje, Ontem or "12 de março".
    const separators = await page.locator('.day-separator, .date-separator').allTextContents();
    assert.ok(separators.every((s) => /Hoje|Ontem|\d+ de \p{L}+/u.test(s)), separators.join(' | '));
    await shot(page, `pt-BR-conversation-${size}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test('the language picked in the profile wins, at once, after a reload and at the next sign-in', async () => {
  const page = await newPage(browser, DESKTOP, { locale: 'en-US' });
  await signIn(page, OWNER);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.goto('/profile');
  await hydrated(page);
  await page.getByRole('heading', { name: 'Your profile' }).waitFor();
  try {
    await page.selectOption('[data-testid=language]', 'pt-BR');
    // No reload: every text switches in place.
    await page.getByRole('heading', { name: 'Seu perfil' }).waitFor();
    await page.locator('.side-menu', { hasText: 'Conversas' }).waitFor();
    await page.waitForFunction(() => document.documentElement.lang === 'pt-BR');

    await page.reload();
    await hydrated(page);
    await page.getByRole('heading', { name: 'Seu perfil' }).waitFor();
    assert.equal(await page.inputValue('[data-testid=language]'), 'pt-BR');

    // Another browser, in English: the profile's language from the first page after sign-in.
    const elsewhere = await newPage(browser, DESKTOP, { locale: 'en-US' });
    await signIn(elsewhere, OWNER);
    assert.match(await elsewhere.title(), /Conversas · Confab$/);
    assert.deepEqual(await englishWordsOn(elsewhere), []);
    await elsewhere.context().close();
  } finally {
    // Back to the browser's language, for the other tests.
    await page.selectOption('[data-testid=language]', 'auto');
    await page.getByRole('heading', { name: 'Your profile' }).waitFor({ timeout: 10000 });
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
