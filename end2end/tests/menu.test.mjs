// The menu: on a phone (390×844) a bottom bar of at most five labelled items, and every
// page of the side menu at most two taps away from the inbox through controls whose names
// show; "More" opens and closes as a disclosure should. On a desktop (1280×800) the side
// menu shows every page with its icon and its name. Documents' statuses are coloured,
// translated chips. axe-core finds nothing serious on the open sheet or the CRM pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, signIn, hydrated, shot, OWNER, DESKTOP, PHONE, seriousA11yViolations, sandboxChannels, newLead, leadWrites,
} from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Every page of the owner's menu: its name in the menu, where it leads, and the page's
// heading once there (the inbox has none: its search field shows instead).
const DESTINATIONS = {
  en: [
    { label: 'Conversations', path: '/conversations', landed: (page) => page.locator('#list-search') },
    { label: 'Clients', path: '/clients', heading: 'Clients' },
    { label: 'Calls', path: '/calls', heading: 'Calls' },
    { label: 'Leads', path: '/leads', heading: 'Leads' },
    { label: 'Estimates', path: '/estimates', heading: 'Estimates' },
    { label: 'Work orders', path: '/orders', heading: 'Work orders' },
    { label: 'Invoices', path: '/invoices', heading: 'Invoices' },
    { label: 'Settings', path: '/settings/employees', heading: 'Settings' },
    { label: OWNER.name, path: '/profile', heading: 'Your profile' },
    { label: 'Sandbox lead ↗', path: '/sandbox', newTab: true },
    { label: 'Sign out', path: '/login', button: true },
  ],
};
const MORE = { en: 'More', 'pt-BR': 'Mais' };

const menu = (page) => page.getByRole('navigation', { name: /^(Main|Principal)$/ });

/// Whether `control` shows `label` as text a person can read: on screen and larger than
/// the 1 px box of a screen-reader-only label.
async function showsLabel(control, label) {
  const text = control.getByText(label).first();
  if (!(await text.isVisible())) return false;
  const box = await text.boundingBox();
  return box.width >= 8 && box.height >= 8;
}

/// The control of the menu named `label` (a link, or a button for signing out).
function menuControl(page, { label, button }) {
  return menu(page).getByRole(button ? 'button' : 'link', { name: label });
}

/// From the inbox, opens `destination` by tapping visible, labelled controls only; returns
/// the taps it took and the page it landed on (a new tab for the sandbox).
async function reach(page, destination, locale = 'en') {
  let taps = 0;
  const control = menuControl(page, destination);
  if (!(await control.isVisible())) {
    const more = menu(page).getByRole('button', { name: MORE[locale] });
    assert.ok(await showsLabel(more, MORE[locale]), `"${MORE[locale]}" shows its name`);
    await more.tap();
    taps += 1;
    await control.waitFor({ state: 'visible' });
  }
  assert.ok(await showsLabel(control, destination.label), `"${destination.label}" shows its name`);
  if (destination.newTab) {
    const [tab] = await Promise.all([page.context().waitForEvent('page'), control.tap()]);
    taps += 1;
    await tab.waitForLoadState();
    return { taps, landed: tab };
  }
  await control.tap();
  taps += 1;
  return { taps, landed: page };
}

async function assertLanded(page, destination) {
  await page.waitForURL((url) => url.pathname === destination.path);
  if (destination.heading) {
    await page.getByRole('heading', { level: 1, name: destination.heading }).waitFor();
  } else if (destination.landed) {
    await destination.landed(page).waitFor();
  }
}

test('on a phone every page of the menu is at most two labelled taps from the inbox', async () => {
  // A lead waiting for an answer: the red dot is on.
  const run = `menu${Date.now() % 100000}`;
  const channels = await sandboxChannels();
  const written = await leadWrites(channels[0].id, await newLead(), { name: `Menu Lead ${run}`, messageId: `msg-${run}`, text: `Hello ${run}` });
  assert.equal(written.status, 200);
  const page = await newPage(browser, PHONE, { hasTouch: true, isMobile: true });
  await signIn(page, OWNER);
  // The bar: Conversations first with its red dot, five items at most, each named.
  const bar = menu(page).locator(':scope > a:visible, :scope > button:visible');
  const names = await bar.evaluateAll((items) => items.map((i) => i.innerText.trim()));
  assert.ok(names.length <= 5, `the bar has ${names.length} items: ${names}`);
  assert.match(names[0], /^Conversations/);
  assert.deepEqual(names.slice(1), ['Clients', 'Calls', 'More']);
  const dot = await bar.first().locator('[data-testid=red-dot]').boundingBox();
  const first = await bar.first().boundingBox();
  assert.ok(dot && dot.y >= first.y && dot.y + dot.height <= first.y + first.height, 'the red dot is on Conversations');
  for (const item of await bar.all()) {
    const box = await item.boundingBox();
    assert.ok(box.height >= 44 && box.width >= 44, 'bar items are touch targets');
    assert.equal(await item.locator('svg.icon').count(), 1, 'each bar item has its icon');
    const cut = await item.locator('.menu-label').evaluate((label) => label.scrollWidth > label.clientWidth + 1);
    assert.equal(cut, false, `"${await item.innerText()}" fits in the bar`);
  }
  await shot(page, 'menu-phone-bar');

  for (const destination of DESTINATIONS.en) {
    await page.goto('/conversations');
    await hydrated(page);
    const { taps, landed } = await reach(page, destination);
    assert.ok(taps <= 2, `${destination.label} took ${taps} taps`);
    await assertLanded(landed, destination);
    if (landed !== page) {
      await landed.close();
    } else if (destination.path !== '/login') {
      // The sheet closed with the navigation.
      assert.equal(await page.locator('#menu-more').isVisible(), false, `the sheet stays open on ${destination.path}`);
    }
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('"More" opens a sheet that Escape, a tap beside it and the button close', async () => {
  const page = await newPage(browser, PHONE, { hasTouch: true, isMobile: true, bypassCSP: true });
  await signIn(page, OWNER);
  const more = menu(page).getByRole('button', { name: 'More' });
  const sheet = page.locator('#menu-more');
  assert.equal(await more.getAttribute('aria-controls'), 'menu-more');
  assert.equal(await more.getAttribute('aria-expanded'), 'false');
  assert.equal(await sheet.isVisible(), false);

  // By keyboard: the button opens it, Tab goes into it, Escape closes it and gives the
  // focus back to the button.
  await more.focus();
  await page.keyboard.press('Enter');
  await sheet.waitFor({ state: 'visible' });
  assert.equal(await more.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('#menu-more') !== null), true, 'Tab enters the sheet');
  assert.deepEqual(await seriousA11yViolations(page), [], 'the open sheet');
  await shot(page, 'menu-phone-more');
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'hidden' });
  assert.equal(await more.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-controls')), 'menu-more', 'the focus is back on "More"');

  // A tap on the page beside the sheet, and the button again, close it too.
  await more.tap();
  await sheet.waitFor({ state: 'visible' });
  await page.mouse.click(PHONE.width / 2, 80);
  await sheet.waitFor({ state: 'hidden' });
  await more.tap();
  await sheet.waitFor({ state: 'visible' });
  await more.tap();
  await sheet.waitFor({ state: 'hidden' });

  // "More" is the current item on the pages it holds.
  await more.tap();
  await menu(page).getByRole('link', { name: 'Invoices' }).tap();
  await page.waitForURL('**/invoices');
  assert.match(await more.getAttribute('class'), /\bactive\b/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('in Portuguese the bar and the sheet read in Portuguese; work orders are two taps away', async () => {
  const page = await newPage(browser, PHONE, { hasTouch: true, isMobile: true, locale: 'pt-BR' });
  await signIn(page, OWNER);
  const names = await menu(page).locator(':scope > a:visible, :scope > button:visible')
    .evaluateAll((items) => items.map((i) => i.innerText.trim()));
  assert.match(names[0], /^Conversas/);
  assert.deepEqual(names.slice(1), ['Clientes', 'Ligações', 'Mais']);
  const orders = { label: 'Ordens de serviço', path: '/orders', heading: 'Ordens de serviço' };
  const { taps, landed } = await reach(page, orders, 'pt-BR');
  assert.equal(taps, 2);
  await assertLanded(landed, orders);
  // The statuses: translated, agreeing with the kind, coloured by meaning.
  const chip = page.locator('[data-testid=documents-table] .status-chip[data-status=in_progress]').first();
  assert.equal((await chip.innerText()).trim(), 'Em andamento');
  assert.match(await chip.getAttribute('class'), /status-under-way/);
  await page.goto('/invoices');
  await hydrated(page);
  const paid = page.locator('[data-testid=documents-table] .status-chip[data-status=paid]').first();
  assert.equal((await paid.innerText()).trim(), 'Paga');
  assert.match(await paid.getAttribute('class'), /status-done/);
  await shot(page, 'menu-phone-invoices-pt');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('on a desktop the side menu shows every page with its icon and its name', async () => {
  const page = await newPage(browser, DESKTOP, { bypassCSP: true });
  await signIn(page, OWNER);
  assert.equal(await menu(page).getByRole('button', { name: 'More' }).isVisible(), false, 'no "More" on a desktop');
  for (const destination of DESTINATIONS.en) {
    const control = menuControl(page, destination);
    assert.ok(await control.isVisible(), `${destination.label} is in the side menu`);
    assert.ok(await showsLabel(control, destination.label), `${destination.label} shows its name`);
    // The profile's picture is the employee's initials; every other item has its icon.
    if (destination.path !== '/profile') {
      const icon = control.locator('svg.icon');
      const box = await icon.boundingBox();
      assert.ok(box && box.width >= 16 && box.height >= 16, `${destination.label} shows its icon`);
      assert.equal(await icon.getAttribute('aria-hidden'), 'true');
    }
  }
  await shot(page, 'menu-desktop');
  // A click on a page of the menu marks it as the current one.
  await menuControl(page, { label: 'Estimates' }).click();
  await page.waitForURL('**/estimates');
  assert.equal(await menuControl(page, { label: 'Estimates' }).getAttribute('aria-current'), 'page');
  // The statuses are chips with their names; axe finds nothing serious on the CRM pages.
  const chip = page.locator('[data-testid=documents-table] .status-chip[data-status=sent]').first();
  assert.equal((await chip.innerText()).trim(), 'Sent');
  for (const path of ['/estimates', '/orders', '/invoices', '/leads', '/clients/1']) {
    await page.goto(path);
    await hydrated(page);
    await page.locator('.status-chip').first().waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], path);
  }
  // The client's conversation: its contact panel lists the documents with their chips.
  await page.locator('[data-testid=client-detail] a[href^="/conversations/"]').first().click();
  await page.locator('.client-panel .status-chip').first().waitFor();
  await hydrated(page);
  assert.deepEqual(await seriousA11yViolations(page), [], 'the contact panel');
  await shot(page, 'menu-desktop-contact-panel');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
