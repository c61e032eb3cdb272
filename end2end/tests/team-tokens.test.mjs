// Settings › Employees lists every employee's API tokens for the owner, who revokes one
// that leaked: it stops working at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, hydrated, shot, OWNER, AGENT, BASE_URL } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the owner sees an agent’s token in Settings and revokes it', async () => {
  // The agent makes a card token (the default scope).
  const agent = await newPage(browser);
  await signIn(agent, AGENT);
  const name = `Leaked ${Date.now()}`;
  const response = await agent.request.post('/api/create_my_token', { form: { name } });
  assert.equal(response.status(), 200);
  const token = await response.json();
  const card = () => agent.request.get(`${BASE_URL}/api/v1/phone-card?phone=%2B5511987654321`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal((await card()).status(), 200);

  const owner = await newPage(browser);
  await signIn(owner, OWNER);
  await owner.goto('/settings/employees');
  await hydrated(owner);
  const row = owner.getByTestId('team-tokens').locator('tr', { hasText: name });
  await row.waitFor();
  assert.match(await row.textContent(), /Ana Agent/);
  await shot(owner, 'settings-team-tokens');
  await row.getByRole('button').click();
  await row.getByText(/revoked/i).waitFor();
  assert.equal((await card()).status(), 401);
  assert.deepEqual(owner.errors, []);
  await agent.context().close();
  await owner.context().close();
});
