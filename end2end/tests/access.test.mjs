// Channel access, end to end: the owner adds a channel in Settings and keeps the agent
// out of it; the agent then sees only their own channel, and no Settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newLeadPage, signIn, hydrated, shot, AGENT, OWNER } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a restricted agent sees only the channels given to them', async () => {
  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  await owner.click('a[href="/settings/employees"]');
  await owner.waitForURL('**/settings/employees');
  await owner.locator('[data-employee="agent@demo.confab"]').waitFor();
  await owner.click('.tabs a[href="/settings/conversations"]');
  await owner.waitForURL('**/settings/conversations');
  await hydrated(owner);

  const channelName = `Back office ${Date.now() % 100000}`;
  const add = owner.locator('form[data-testid=add-channel]');
  await add.getByRole('textbox', { name: 'Name' }).fill(channelName);
  // Chosen when the channel is created: everyone is ticked; take the agent off.
  const newAgentBox = add.locator(`input[name="${AGENT.email}"]`);
  assert.equal(await newAgentBox.isChecked(), true);
  await newAgentBox.uncheck();
  await add.locator('button[type=submit]').click();
  const card = owner.locator(`form[data-channel="${channelName}"]`);
  await card.waitFor();
  const agentBox = card.locator(`input[name="${AGENT.email}"]`);
  assert.equal(await agentBox.isChecked(), false);
  assert.equal(await card.locator(`input[name="${OWNER.email}"]`).isChecked(), true);
  // …and editable later: give it, then take it away again.
  for (const give of [true, false]) {
    await (give ? agentBox.check() : agentBox.uncheck());
    await card.locator('button[type=submit]').click();
    await owner.locator('.banner-ok', { hasText: 'Access saved' }).waitFor();
    await owner.waitForFunction(([name, email, want]) => {
      const box = document.querySelector(`form[data-channel="${name}"] input[name="${email}"]`);
      return box && box.checked === want;
    }, [channelName, AGENT.email, give]);
  }
  await shot(owner, 'settings-channel-access');

  // A lead writes to the new channel.
  const lead = await newLeadPage(browser);
  await lead.goto('/sandbox');
  await hydrated(lead);
  await lead.click(`.tabs a:has-text("${channelName}")`);
  await lead.waitForURL(/channel=\d+/);
  await hydrated(lead);
  const leadName = `Private Lead ${Date.now() % 100000}`;
  await lead.fill('#lead-name', leadName);
  await lead.fill('#lead-text', 'Only the owner should read this');
  await lead.press('#lead-text', 'Enter');
  await lead.locator('[data-from-lead=true]', { hasText: 'Only the owner' }).waitFor();

  // The owner sees it live…
  await owner.goto('/conversations');
  await hydrated(owner);
  await owner.locator('.conversation-row', { hasText: leadName }).waitFor();

  // …the agent does not, and has no Settings.
  const agent = await newPage(browser);
  await signIn(agent, AGENT);
  await agent.locator('.conversation-row').first().waitFor();
  assert.equal(await agent.locator('.conversation-row', { hasText: leadName }).count(), 0);
  assert.equal(await agent.locator('a[href="/settings/employees"]').count(), 0, 'no Settings menu item');
  const response = await agent.goto('/settings/employees');
  assert.equal(response.status(), 403);
  await agent.locator('.banner-error', { hasText: 'Settings are for owners' }).waitFor();
  await shot(agent, 'agent-settings-refused');

  assert.deepEqual(owner.errors, []);
  assert.deepEqual(agent.errors, []);
  assert.deepEqual(lead.errors, []);
  for (const page of [owner, agent, lead]) await page.context().close();
});

test('an employee creates and revokes an API token', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.click('a.menu-employee');
  await page.waitForURL('**/profile');
  await page.click('a[href="/tokens"]');
  await page.waitForURL('**/tokens');
  await hydrated(page);
  await page.fill('input[placeholder="e.g. Zapier"]', 'E2E');
  // Cards only unless more is ticked: this token also reads conversations.
  assert.ok(await page.isChecked('input[value="phone-card:read"]'));
  assert.ok(!(await page.isChecked('input[value="conversations:read"]')));
  await page.check('input[value="conversations:read"]');
  await page.click('button:has-text("Create token")');
  const token = await page.locator('[data-testid=new-token]').textContent();
  assert.match(token, /^cfb_[0-9a-f]{64}$/);
  const ok = await page.request.get('/api/v1/channels', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(ok.status(), 200);
  await page.locator('tr', { hasText: 'E2E' }).locator('button:has-text("Revoke")').first().click();
  await page.locator('tr', { hasText: 'E2E' }).locator('text=revoked').first().waitFor();
  const refused = await page.request.get('/api/v1/channels', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(refused.status(), 401);
  await page.context().close();
});
