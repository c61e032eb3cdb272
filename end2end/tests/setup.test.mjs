// A business's own server: started on an empty database without demo data, it has no
// account; the owner is made on /setup with the one-time code from the server's log, then
// changes their password in the profile. Runs its own server (CONFAB_E2E_BINARY, the same
// build scripts/test serves), once per width and language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, hydrated, shot, emptyBusiness, DESKTOP, PHONE } from './support.mjs';

const BINARY = process.env.CONFAB_E2E_BINARY;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const TEXT = {
  en: { intro: /Nobody can sign in yet/, taken: /business is set up/, wrongCode: /not valid/, saved: /password is changed/, hideGuide: 'Hide this guide' },
  'pt-BR': { intro: /Ninguém pode entrar ainda/, taken: /já está configurada/, wrongCode: /não é válido/, saved: /senha foi alterada/, hideGuide: 'Ocultar este guia' },
};

for (const [width, viewport, locale] of [['desktop', DESKTOP, 'en'], ['phone', PHONE, 'pt-BR']]) {
  test(`the owner sets up an empty business and changes the password (${width}, ${locale})`, { skip: !BINARY && 'CONFAB_E2E_BINARY is not set' }, async () => {
    const business = await emptyBusiness();
    const context = await browser.newContext({ viewport, baseURL: business.url, locale });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      // Signed out, every page leads to sign-in, which leads to setup while nobody can sign in.
      await page.goto('/conversations');
      await page.waitForURL('**/setup');
      await hydrated(page);
      assert.match(await page.locator('main').textContent(), TEXT[locale].intro);
      await shot(page, `setup-${width}-${locale}`);

      // A wrong code is refused with a sentence; nothing typed is lost.
      await page.fill('#setup-code', 'AAAA-BBBB-CCCC-DDDD-EEEE');
      await page.fill('#setup-name', 'Bia Dona');
      await page.fill('#setup-email', 'bia@shop.example');
      await page.fill('#setup-password', 'a long enough password');
      await page.getByTestId('setup-submit').click();
      await page.locator('.form-error').waitFor();
      assert.match(await page.locator('.form-error').textContent(), TEXT[locale].wrongCode);
      assert.equal(await page.inputValue('#setup-email'), 'bia@shop.example');

      await page.fill('#setup-code', business.code.toLowerCase());
      await page.getByTestId('setup-submit').click();
      await page.waitForURL('**/conversations');
      await hydrated(page);

      // The inbox guides the new owner: each step a link; hidden on request, for good.
      const guide = page.locator('[data-testid=first-hour]');
      await guide.waitFor();
      for (const [step, href] of [['practice', '/settings/conversations#practice'], ['connect', '/settings/conversations'], ['team', '/settings/employees']]) {
        assert.equal(await guide.locator(`[data-testid=first-hour-${step}] a`).getAttribute('href'), href);
      }
      assert.equal(await guide.locator('li.done').count(), 0, 'nothing done yet');
      await shot(page, `first-hour-${width}-${locale}`);
      await guide.getByRole('button', { name: TEXT[locale].hideGuide }).click();
      await guide.waitFor({ state: 'detached' });
      await page.reload();
      await hydrated(page);
      assert.equal(await page.locator('[data-testid=first-hour]').count(), 0, 'hidden stays hidden');

      // Gone once done.
      await page.goto('/setup');
      await hydrated(page);
      assert.match(await page.locator('main').textContent(), TEXT[locale].taken);

      // The profile: a new password with the current one.
      await page.goto('/profile');
      await hydrated(page);
      assert.equal(await page.getByTestId('account-email').inputValue(), 'bia@shop.example');
      await page.getByTestId('account-current-password').fill('a long enough password');
      await page.getByTestId('account-new-password').fill('another long password');
      await page.getByTestId('account-save-password').click();
      await page.getByText(TEXT[locale].saved).waitFor();
      // The passwords typed do not stay in the form.
      assert.equal(await page.getByTestId('account-new-password').inputValue(), '');
      await shot(page, `profile-password-${width}-${locale}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      business.stop();
    }
  });
}
