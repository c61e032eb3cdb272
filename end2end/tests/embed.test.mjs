// The phone card outside Confab: a plain static page of another tool, served from
// another port, includes confab-card.js with an API token; hovering a number shows
// the client and their conversation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launch, newPage, signIn, hydrated, shot, BASE_URL } from './support.mjs';

let browser;
let site;
let token;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); site?.close(); });

test('the embeddable card works on a plain page of another origin', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.click('a.menu-employee');
  await page.waitForURL('**/profile');
  await page.click('a[href="/tokens"]');
  await page.waitForURL('**/tokens');
  await hydrated(page);
  await page.fill('input[placeholder="e.g. Zapier"]', 'Embedded card');
  await page.click('button:has-text("Create token")');
  token = await page.locator('[data-testid=new-token]').textContent();

  const html = `<!doctype html><html><head><title>Work orders — other tool</title>
    <script src="${BASE_URL}/confab-card.js" data-token="${token}" defer></script></head>
    <body><h1>Work order 42</h1><p>Client phone: <span data-confab-phone="+5511987654321">+55 11 98765-4321</span></p></body></html>`;
  site = createServer((req, res) => { res.setHeader('content-type', 'text/html'); res.end(html); });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  const other = await newPage(browser);
  await other.goto(`http://127.0.0.1:${site.address().port}/`);
  await other.locator('.confab-phone').hover();
  const card = other.locator('[data-confab-card]');
  await card.locator('strong', { hasText: 'Maria Souza' }).waitFor();
  // Her numbers as Confab shows them (the demo business is Brazilian).
  await card.locator('.confab-meta', { hasText: '(11) 98765-4321' }).waitFor();
  await card.locator('a[href*="/conversations/"]', { hasText: 'Maria Souza' }).first().waitFor();
  await shot(other, 'embedded-card');
  await other.mouse.move(1, 1);
  await card.waitFor({ state: 'detached' });
  assert.deepEqual(other.errors, []);
  await page.context().close();
  await other.context().close();
});
