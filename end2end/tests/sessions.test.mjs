// "Sign out on every device" (the profile page): two browsers signed in as the same
// employee; the one that clicks lands on the sign-in page, and the other is sent there at
// its next page load. Another employee stays signed in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, AGENT, OWNER } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/// The session cookie a page's browser holds, or undefined.
async function sessionCookie(page) {
  const cookies = await page.context().cookies();
  return cookies.find((c) => c.name === 'confab_session')?.value;
}

test('signing out on every device ends the sessions of every browser of the employee', async () => {
  const laptop = await newPage(browser);
  const phone = await newPage(browser);
  const owner = await newPage(browser);
  await signIn(laptop, AGENT);
  await signIn(phone, AGENT);
  await signIn(owner, OWNER);
  assert.ok(await sessionCookie(laptop));
  assert.ok(await sessionCookie(phone));
  assert.notEqual(await sessionCookie(laptop), await sessionCookie(phone), 'one session per browser');

  await laptop.goto('/profile');
  await hydrated(laptop);
  const button = laptop.getByTestId('sign-out-everywhere');
  assert.equal((await button.textContent()).trim(), 'Sign out on every device');
  // The explanation is next to the button, and tied to it for screen readers.
  const explanation = laptop.locator('#sessions-text');
  assert.match(await explanation.textContent(), /every device, this one included/);
  assert.equal(await button.getAttribute('aria-describedby'), 'sessions-text');
  await shot(laptop, 'profile-sign-out-everywhere');

  await button.click();
  await laptop.waitForURL('**/login');
  await laptop.locator('#email').waitFor();
  assert.equal(await sessionCookie(laptop), undefined, 'the cookie is removed');
  // Its session is really over: a signed-in page sends it back to sign-in.
  await laptop.goto('/conversations');
  await laptop.waitForURL('**/login');

  // The other browser still shows the inbox it had; its next page load finds no session.
  await phone.goto('/conversations');
  await phone.waitForURL('**/login');
  await phone.locator('#email').waitFor();
  await hydrated(phone);

  // Another employee is not touched.
  await owner.goto('/conversations');
  await hydrated(owner);
  assert.ok(new URL(owner.url()).pathname.startsWith('/conversations'), owner.url());

  // And the employee signs in again as usual.
  await signIn(phone, AGENT);

  assert.deepEqual(laptop.errors, []);
  assert.deepEqual(phone.errors, []);
  assert.deepEqual(owner.errors, []);
  for (const page of [laptop, phone, owner]) await page.context().close();
});

test('the button speaks Portuguese too', async () => {
  const page = await newPage(browser, undefined, { locale: 'pt-BR' });
  await signIn(page, AGENT);
  await page.goto('/profile');
  await hydrated(page);
  assert.equal((await page.getByTestId('sign-out-everywhere').textContent()).trim(), 'Sair em todos os dispositivos');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
