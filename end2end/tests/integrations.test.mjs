// Settings › Integrations: the owner subscribes a receiver to events, copies the secret
// shown once, sends a test event (the receiver checks its signature with that secret, as
// the README documents), reads the delivery log, pauses and deletes the subscription; at
// desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE } from './support.mjs';

let browser;
let receiver;
const received = [];
before(async () => {
  browser = await launch();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ signature: req.headers['confab-signature'] ?? '', event: req.headers['confab-event'], body });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
after(async () => { await browser?.close(); receiver?.close(); });

/// The documented check: v1 is the hex HMAC-SHA256 of "t.body" with the secret.
function signedWith(secret, { signature, body }) {
  const parts = Object.fromEntries(signature.split(',').map((p) => p.split('=')));
  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  return parts.v1 === expected && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

for (const [width, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`a webhook is subscribed, tested, paused and deleted (${width})`, async () => {
    const page = await newPage(browser, viewport);
    page.on('dialog', (d) => d.accept());
    await signIn(page, OWNER);
    await page.goto('/settings/integrations');
    await hydrated(page);
    const url = `http://127.0.0.1:${receiver.address().port}/hook-${width}`;
    const form = page.locator('form[data-testid=webhook-form]');
    await form.locator('input[name=url]').fill(url);
    await form.locator('input[name=description]').fill(`CRM sync ${width}`);
    await form.locator('input[type=checkbox][value=client_created]').check();
    await form.locator('input[type=checkbox][value=message_received]').check();
    await form.locator('[data-testid=webhook-subscribe]').click();
    const secret = (await page.locator('[data-testid=webhook-secret]').innerText()).trim();
    assert.match(secret, /^whsec_/);
    const card = page.locator('[data-testid=webhook]', { hasText: url });
    await card.waitFor();
    assert.match(await card.innerText(), /Client created/);
    await shot(page, `integrations-${width}`);

    // The test event arrives signed with the secret shown, and the log says delivered.
    const before = received.length;
    await card.locator('[data-testid=webhook-test]').click();
    for (let i = 0; i < 100 && !received.slice(before).some((r) => r.event === 'test'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const delivery = received.slice(before).find((r) => r.event === 'test');
    assert.ok(delivery, 'the test event arrived');
    assert.ok(signedWith(secret, delivery), `signature ${delivery.signature}`);
    assert.equal(JSON.parse(delivery.body).event, 'test');
    for (let i = 0; i < 50; i++) {
      await card.locator('[data-testid=webhook-log-refresh]').click();
      if (await card.locator('[data-testid=webhook-log] [data-state=delivered]').count() > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await card.locator('[data-testid=webhook-log] [data-state=delivered]').count(), 1);

    // Paused, then deleted.
    await card.locator('[data-testid=webhook-toggle]').click();
    await page.locator('[data-testid=webhook]', { hasText: url }).locator('[data-testid=webhook-paused]').waitFor();
    await page.locator('[data-testid=webhook]', { hasText: url }).locator('[data-testid=webhook-delete]').click();
    await page.locator('[data-testid=webhook]', { hasText: url }).waitFor({ state: 'detached' });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}
