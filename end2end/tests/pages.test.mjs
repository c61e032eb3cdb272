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
  '/settings/employees', '/settings/roles', '/settings/conversations', '/tokens', '/profile', '/sandbox', '/no-such-page',
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
