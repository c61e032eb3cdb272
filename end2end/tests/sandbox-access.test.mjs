// The sandbox is open to anyone, so each browser is a lead of its own (a cookie the server
// sets): it sees its own thread only, keeps it across reloads, and can start afresh. The
// owner can turn the sandbox off in Settings; /sandbox then says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newLeadPage, signIn, hydrated, shot, OWNER, BASE_URL } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function write(lead, text) {
  await lead.fill('#lead-text', text);
  await lead.press('#lead-text', 'Enter');
  await lead.locator('[data-from-lead=true]', { hasText: text }).waitFor();
}

test('each browser is a lead of its own, and keeps its thread', async () => {
  const run = Date.now() % 100000;
  const [ana, bia] = [await newLeadPage(browser), await newLeadPage(browser)];
  for (const lead of [ana, bia]) {
    await lead.goto('/sandbox');
    await hydrated(lead);
  }
  await write(ana, `Ana's question ${run}`);
  await write(bia, `Bia's question ${run}`);
  for (const [lead, other] of [[ana, `Bia's question ${run}`], [bia, `Ana's question ${run}`]]) {
    assert.equal(await lead.locator('.bubble-row', { hasText: other }).count(), 0, 'another lead\'s message');
  }
  // The cookie is out of the page's reach.
  assert.equal(await ana.evaluate(() => document.cookie.includes('confab_sandbox_lead')), false);

  // A reload is the same lead, with its thread.
  await ana.reload();
  await hydrated(ana);
  await ana.locator('[data-from-lead=true]', { hasText: `Ana's question ${run}` }).waitFor();

  // "Start as a new lead": an empty thread, and the old one is not reachable any more.
  const reloaded = ana.waitForEvent('load');
  await ana.getByRole('button', { name: 'Start as a new lead' }).click();
  await reloaded;
  await hydrated(ana);
  await ana.locator('.lead-thread .list-empty').waitFor();
  assert.equal(await ana.locator('.bubble-row', { hasText: `Ana's question ${run}` }).count(), 0);
  await write(ana, `A new lead ${run}`);

  // A request without the page's cookie gets no thread at all.
  const channels = await (await fetch(`${BASE_URL}/api/sandbox_channels`, { method: 'POST' })).json();
  const thread = await fetch(`${BASE_URL}/api/sandbox_thread`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: `channel_id=${channels[0].id}&lead_id=demo-lead-maria`,
  });
  assert.deepEqual(await thread.json(), []);
  assert.deepEqual([...ana.errors, ...bia.errors], []);
  await shot(ana, 'sandbox-new-lead');
  await ana.context().close();
  await bia.context().close();
});

test('the owner turns the sandbox off and on again', async () => {
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  await owner.goto('/settings/conversations');
  await hydrated(owner);
  const switchOff = owner.locator('[data-testid=sandbox-switch]', { hasText: 'Turn the sandbox off' });
  await switchOff.first().waitFor();
  // Every sandbox channel (other tests add some) goes off.
  let turnedOff = 0;
  while (await switchOff.count() > 0) {
    await switchOff.first().click();
    turnedOff += 1;
    await owner.locator('.banner-ok', { hasText: 'The sandbox is off' }).waitFor();
    await owner.waitForTimeout(200);
  }
  assert.ok(turnedOff >= 1);
  await shot(owner, 'settings-sandbox-off');

  const lead = await newLeadPage(browser);
  await lead.goto('/sandbox');
  await hydrated(lead);
  await lead.getByText('The sandbox is off').waitFor();
  assert.equal(await lead.locator('#lead-text').count(), 0, 'nothing to write with');
  await shot(lead, 'sandbox-off');

  // On again: the page works as before.
  const switchOn = owner.locator('[data-testid=sandbox-switch]', { hasText: 'Turn the sandbox on' });
  while (await switchOn.count() > 0) {
    await switchOn.first().click();
    await owner.locator('.banner-ok', { hasText: 'The sandbox is on' }).waitFor();
    await owner.waitForTimeout(200);
  }
  await lead.reload();
  await hydrated(lead);
  await write(lead, `Back on ${Date.now() % 100000}`);
  assert.deepEqual([...owner.errors, ...lead.errors], []);
  await owner.context().close();
  await lead.context().close();
});
