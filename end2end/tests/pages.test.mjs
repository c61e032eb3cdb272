// Every page renders on the server and hydrates in the browser without an error, for an
// owner and for an agent (a hydration mismatch panics the Wasm app: this catches it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, AGENT, OWNER } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const pages = [
  '/conversations', '/conversations?status=archived', '/conversations/1', '/conversations/999999',
  '/settings/employees', '/settings/roles', '/settings/conversations', '/settings/integrations', '/tokens', '/profile', '/sandbox', '/no-such-page',
  '/clients', '/clients?q=maria', '/clients/1', '/leads', '/estimates', '/orders', '/invoices', '/documents/1', '/calls',
];

for (const who of [OWNER, AGENT]) {
  test(`every page hydrates cleanly for ${who.email}`, async () => {
    const page = await newPage(browser);
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /hydrat|panicked/i.test(m.text())) consoleErrors.push(`${page.url()}: ${m.text().slice(0, 200)}`);
    });
    await signIn(page, who);
    for (const path of pages) {
      await page.goto(path);
      await hydrated(page);
    }
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

// The CRM and settings pages are split off the Wasm (`app::ui::lazy_pages`, built with
// `cargo leptos build --split`): the inbox fetches none of their code; a click on the menu
// fetches the page's chunk and shows the page, without a full load.
test('the inbox loads no other page’s code; the menu loads a page’s code when it opens it', async () => {
  const page = await newPage(browser);
  const chunks = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname;
    if (/^\/pkg\/split_.*\.wasm$/.test(name)) chunks.push(name);
  });
  await signIn(page, OWNER);
  assert.deepEqual(chunks, [], 'the inbox fetched a lazily loaded page');
  let loads = 0;
  page.on('load', () => { loads += 1; });

  await page.click('nav.side-menu a[href="/settings/employees"]');
  await page.waitForURL('**/settings/employees');
  await page.waitForSelector('[data-testid=employees]');
  assert.ok(chunks.some((c) => c.includes('employee_settings')), `no employee settings chunk in ${chunks}`);

  const before = chunks.length;
  await page.click('nav.side-menu a[href="/clients"]');
  await page.waitForURL('**/clients');
  await page.waitForSelector('[data-testid=clients]');
  assert.ok(chunks.slice(before).some((c) => c.includes('clients_route')), `no clients chunk in ${chunks}`);

  // Back to the inbox and to the clients again: their code is there already.
  await page.click('nav.side-menu a[href="/conversations"]');
  await page.waitForURL('**/conversations');
  const fetched = chunks.length;
  await page.click('nav.side-menu a[href="/clients"]');
  await page.waitForSelector('[data-testid=clients]');
  assert.equal(chunks.length, fetched, 'a page’s code is fetched once');
  assert.equal(loads, 0, 'the menu navigated without reloading the page');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
