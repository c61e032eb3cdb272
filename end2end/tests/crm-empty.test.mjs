// The CRM of a new business, from nothing (issue 22's acceptance): on an empty database
// without demo data (CONFAB_DEMO=false) the owner sets up the business, connects an SMS
// number (a fake Twilio of this test's own), imports clients from a CSV, makes an invoice
// for one, logs a missed call from an unknown number, writes back to it by SMS from the
// Calls page, makes the caller a client from the conversation, and turns an estimate for
// them into a work order and that into an invoice. The phone card shows on every CRM page
// used. Once at desktop width in English, once at phone width in Portuguese (tapping).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, hydrated, shot, emptyBusiness, freePort, startFakeProviders, DESKTOP, PHONE,
} from './support.mjs';

const BINARY = process.env.CONFAB_E2E_BINARY;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// What the pages say, in each language (app/locales/*/).
const TEXT = {
  en: {
    rowsFound: /4 rows found/,
    imported: /3 created, 0 updated, 0 already up to date, 1 refused/,
    badNumber: /'12345' is not a valid BR number/,
    callLogged: /Call logged\. No client has this number yet\./,
    cardEmpty: /No client or conversation has this number yet/,
    createClient: 'Or create a new client',
    name: 'Name',
    createAndLink: 'Create and link',
    madeFrom: 'Made from',
    turnedInto: 'Turned into',
    workOrder: 'Work order',
    invoice: 'Invoice',
    amount: '1450.50',
    amountShown: /1,450\.50/,
  },
  'pt-BR': {
    rowsFound: /4 linhas encontradas/,
    imported: /3 criados, 0 atualizados, 0 já estavam em dia, 1 recusados/,
    badNumber: /'12345' não é um número válido do país BR/,
    callLogged: /Ligação registrada\. Nenhum cliente tem este número ainda\./,
    cardEmpty: /Nenhum cliente ou conversa tem este número ainda/,
    createClient: 'Ou criar um novo cliente',
    name: 'Nome',
    createAndLink: 'Criar e vincular',
    madeFrom: 'Feito a partir de',
    turnedInto: 'Convertido em',
    workOrder: 'Ordem de serviço',
    invoice: 'Fatura',
    amount: '1.450,50',
    amountShown: /1\.450,50/,
  },
};

// Brazilian numbers as a Brazilian shop keeps them (the business's country is BR); the
// last row's number cannot be one, so the row is refused with its line and reason. "Bike"
// is no column Confab knows: the owner maps it to the notes.
const CSV = [
  'Name,Phone,Email,Bike',
  'Ana Lima,(11) 98765-4321,ana@example.com,Caloi 10',
  'Bruno Costa,(21) 99876-5432,bruno@example.com,',
  'Carla Dias,(31) 3222-1100,,Monark',
  'Davi Reis,12345,davi@example.com,',
].join('\n');
const ANA = '+5511987654321';
const ANA_SHOWN = '(11) 98765-4321';
// The unknown caller, typed as people say it.
const CALLER_TYPED = '(11) 97777-1234';
const CALLER = '+5511977771234';
const SHOP = '+15550001234';

/// The phone card of `phone` on this page: hovered with the mouse on desktop, tapped on a
/// phone. Resolves with the card and a function that closes it again.
async function openCard(page, phone, touch) {
  const number = page.locator(`.phone-number[data-phone="${phone}"]`).first();
  const button = number.locator('.phone-button');
  if (touch) await button.tap(); else await button.hover();
  const card = number.locator('[data-testid=phone-card]');
  await card.waitFor({ timeout: 5_000 }).catch(() => assert.fail(`${touch ? 'tapping' : 'hovering'} ${phone} shows its card`));
  const close = async () => {
    // Leaving the number closes it; on a phone, tapping the number again does.
    if (touch) await button.tap(); else await page.mouse.move(5, 5);
    await card.waitFor({ state: 'detached' });
  };
  return { card, close };
}

/// The card of `phone` shows the client `name` (a link to their page), then closes.
async function cardShowsClient(page, phone, name, touch) {
  const { card, close } = await openCard(page, phone, touch);
  await card.locator('.card-title a', { hasText: name }).waitFor();
  assert.match(await card.locator('.card-title a').getAttribute('href'), /^\/clients\/\d+$/);
  await close();
}

async function go(page, path) {
  await page.goto(path);
  await hydrated(page);
}

async function pickClient(form, text, name) {
  await form.locator('[data-testid=document-client-search]').fill(text);
  await form.locator('[data-testid=document-client-pick]', { hasText: name }).first().click();
  await form.locator('[data-testid=document-client]', { hasText: name }).waitFor();
}

/// The number of the document whose page is open ("Invoice I-0002" → "I-0002").
async function documentNumber(page) {
  return (await page.locator('h1').innerText()).trim().split(' ').pop();
}

for (const [width, viewport, locale] of [['desktop', DESKTOP, 'en'], ['phone', PHONE, 'pt-BR']]) {
  test(`a new business fills its CRM from nothing (${width}, ${locale})`, { skip: !BINARY && 'CONFAB_E2E_BINARY is not set' }, async () => {
    const T = TEXT[locale];
    const touch = width === 'phone';
    // Twilio's API, faked on a port of this test's own, for this test's own server.
    const twilioPort = await freePort();
    const twilio = await startFakeProviders({ port: twilioPort });
    const business = await emptyBusiness({
      env: { CONFAB_DEMO: 'false', CONFAB_TWILIO_API_URL: `http://127.0.0.1:${twilioPort}` },
    });
    const page = await newPage(browser, viewport, {
      baseURL: business.url, locale, ...(touch ? { hasTouch: true, isMobile: true } : {}),
    });
    try {
      // The owner sets the business up with the code from the server's log.
      await go(page, '/setup');
      await page.fill('#setup-code', business.code);
      await page.fill('#setup-name', 'Bia Dona');
      await page.fill('#setup-email', 'bia@shop.example');
      await page.fill('#setup-password', 'a long enough password');
      await page.getByTestId('setup-submit').click();
      await page.waitForURL('**/conversations');
      await hydrated(page);

      // An SMS number to write from.
      await go(page, '/settings/conversations');
      const channel = page.locator('form[data-testid=add-channel]');
      await channel.locator('select[name=kind]').selectOption('twilio_sms');
      await channel.locator('input[name=name]').fill('Shop SMS');
      await channel.locator('input[name=account_sid]').fill('AC00000000000000000000000000000000');
      await channel.locator('input[name=auth_token]').fill('e2e-token');
      await channel.locator('input[name=phone_number]').fill(SHOP);
      await channel.locator('button[type=submit]').click();
      await page.locator('.channel-card', { hasText: SHOP }).locator('[data-testid=webhook-url]').waitFor();

      // The clients from a CSV: a preview with the guessed columns, corrected, imported.
      await go(page, '/clients');
      await page.click('[data-testid=clients-import]');
      await page.waitForURL('**/clients/import');
      await hydrated(page);
      await page.setInputFiles('[data-testid=client-import-file]', {
        name: 'clients.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV),
      });
      const preview = page.locator('[data-testid=client-import-preview]');
      await preview.waitFor();
      assert.match(await preview.innerText(), T.rowsFound);
      const columns = preview.locator('[data-testid=client-import-column]');
      assert.deepEqual(await columns.evaluateAll((selects) => selects.map((s) => s.value)),
        ['name', 'phone:other', 'email', 'ignore'], 'the columns as guessed from the header');
      assert.ok(await columns.nth(1).isVisible(), 'the columns can be chosen at this width');
      await columns.nth(1).selectOption('phone:mobile');
      await columns.nth(3).selectOption('notes');
      // The page fits the width: only the preview's table scrolls sideways, in its box.
      assert.ok(await page.locator('.settings').evaluate((el) => el.scrollWidth <= el.clientWidth + 1), 'no sideways scrolling of the page');
      await shot(page, `crm-empty-import-preview-${width}`);
      await preview.locator('[data-testid=client-import-run]').click();
      const report = page.locator('[data-testid=client-import-report]');
      await report.waitFor();
      assert.match(await report.locator('[role=status]').innerText(), T.imported);
      const refused = report.locator('[data-testid=client-import-refused] tbody tr');
      assert.equal(await refused.count(), 1);
      assert.equal((await refused.locator('td').first().innerText()).trim(), '5', 'the line of the file');
      assert.match(await refused.locator('td').nth(1).innerText(), T.badNumber);
      await shot(page, `crm-empty-import-report-${width}`);

      // The Clients page lists them, each number as a Brazilian business writes it.
      await go(page, '/clients');
      const clients = page.locator('table[data-testid=clients]');
      for (const name of ['Ana Lima', 'Bruno Costa', 'Carla Dias']) {
        await clients.locator('a', { hasText: name }).waitFor();
      }
      assert.equal(await clients.locator('a', { hasText: 'Davi Reis' }).count(), 0, 'the refused row made no client');
      assert.equal((await clients.locator(`.phone-number[data-phone="${ANA}"] .phone-button`).innerText()).trim(), ANA_SHOWN);
      await cardShowsClient(page, ANA, 'Ana Lima', touch);
      // The mapped column went to the notes.
      await clients.locator('a', { hasText: 'Ana Lima' }).click();
      await page.locator('[data-testid=client-detail]', { hasText: 'Caloi 10' }).waitFor();

      // An invoice for Ana, from the Invoices page.
      await go(page, '/invoices');
      await page.click('[data-testid=new-document]');
      const invoiceForm = page.locator('form[data-testid=document-form]');
      await invoiceForm.locator('input[name=title]').fill('Brake pads');
      await invoiceForm.locator('input[name=amount]').fill(T.amount);
      await invoiceForm.locator('select[name=status]').selectOption('unpaid');
      await pickClient(invoiceForm, 'Ana', 'Ana Lima');
      await invoiceForm.locator('[data-testid=document-save]').click();
      await page.waitForURL(/\/documents\/\d+$/);
      await page.locator('[data-testid=document-detail]', { hasText: 'Brake pads' }).waitFor();
      assert.match(await page.locator('[data-testid=document-detail]').innerText(), T.amountShown);
      const anaInvoice = await documentNumber(page);
      await go(page, '/invoices');
      const invoiceRow = page.locator('[data-testid=documents-table] tr', { hasText: anaInvoice });
      await invoiceRow.waitFor();
      assert.match(await invoiceRow.innerText(), /Ana Lima/);
      await cardShowsClient(page, ANA, 'Ana Lima', touch);

      // A missed call from a number nobody has: its card says so.
      await go(page, '/calls');
      await page.click('[data-testid=log-call]');
      const callForm = page.locator('form[data-testid=log-call-form]');
      await callForm.locator('input[name=phone]').fill(CALLER_TYPED);
      await callForm.locator('select[name=direction]').selectOption('missed');
      await callForm.locator('button[type=submit]').click();
      assert.match(await page.locator('.banner[role=status]').innerText(), T.callLogged);
      const callRow = page.locator('[data-testid=call-row]', { has: page.locator(`.phone-number[data-phone="${CALLER}"]`) });
      await callRow.waitFor();
      {
        const { card, close } = await openCard(page, CALLER, touch);
        await card.getByText(T.cardEmpty).waitFor();
        await shot(page, `crm-empty-calls-card-${width}`);
        await close();
      }

      // "+ Conversation" on the call's row: an SMS to the caller, sent through Twilio.
      await callRow.locator('[data-testid=start-conversation]').click();
      const option = callRow.locator('.start-option', { hasText: 'Shop SMS' });
      await option.waitFor();
      await option.click();
      await page.waitForURL('**/conversations/*');
      await page.locator('#composer-text').waitFor();
      await hydrated(page);
      const text = 'Sorry we missed your call. How can we help?';
      await page.fill('#composer-text', text);
      await page.press('#composer-text', 'Enter');
      await page.waitForFunction(() => document.querySelector('.bubble-row.outbound[data-status=sent]'));
      const sms = twilio.sent.find((r) => r.method === 'POST' && r.path.endsWith('/Messages.json') && r.form.Body === text);
      assert.ok(sms, 'Twilio was asked to send the SMS');
      assert.equal(sms.form.To, CALLER);
      assert.equal(sms.form.From, SHOP);

      // The caller becomes a client, from the conversation's contact panel.
      if (touch) {
        await page.locator('.panel-toggle').click();
        await page.locator('.client-panel.open').waitFor();
      }
      const panel = page.locator('.client-panel');
      await panel.getByRole('button', { name: T.createClient }).click();
      const newClient = panel.locator('form', { has: page.getByRole('button', { name: T.createAndLink }) });
      await newClient.getByLabel(T.name, { exact: true }).fill('Caller Person');
      assert.equal(await newClient.locator('input[type=tel]').inputValue(), CALLER_TYPED, 'the conversation\'s number, offered');
      await newClient.getByRole('button', { name: T.createAndLink }).click();
      const clientCard = panel.locator('[data-testid=client-card]');
      await clientCard.locator('h3', { hasText: 'Caller Person' }).waitFor();
      const callerPage = await clientCard.locator('[data-testid=all-client-documents]').getAttribute('href');
      assert.match(callerPage, /^\/clients\/\d+$/);
      await shot(page, `crm-empty-caller-client-${width}`);

      // The call is now the client's, and the card shows them and the conversation.
      await go(page, '/calls');
      const callerLink = page.locator('[data-testid=call-row]', { has: page.locator(`.phone-number[data-phone="${CALLER}"]`) })
        .locator('a', { hasText: 'Caller Person' });
      await callerLink.waitFor();
      assert.equal(await callerLink.getAttribute('href'), callerPage);
      {
        const { card, close } = await openCard(page, CALLER, touch);
        await card.locator('.card-title a', { hasText: 'Caller Person' }).waitFor();
        await card.locator('[data-testid=phone-card-conversations] a', { hasText: 'Shop SMS' }).waitFor();
        await close();
      }

      // An estimate for the caller from their page, then a work order, then an invoice.
      await go(page, callerPage);
      await page.locator('[data-testid=new-client-document]').selectOption('estimate');
      const estimateForm = page.locator('form[data-testid=document-form]');
      await estimateForm.locator('[data-testid=document-client]', { hasText: 'Caller Person' }).waitFor();
      await estimateForm.locator('input[name=title]').fill('Wheel truing');
      await estimateForm.locator('input[name=amount]').fill(T.amount);
      await estimateForm.locator('[data-testid=document-save]').click();
      await page.waitForURL(/\/documents\/\d+$/);
      await page.locator('[data-testid=document-detail]', { hasText: 'Wheel truing' }).waitFor();
      await hydrated(page);
      const estimateUrl = page.url();
      const estimate = await documentNumber(page);

      await page.click('[data-testid=convert-document]');
      await page.waitForURL((url) => url.href !== estimateUrl && /\/documents\/\d+$/.test(url.pathname));
      await page.locator('h1', { hasText: T.workOrder }).waitFor();
      await hydrated(page);
      const orderUrl = page.url();
      const order = await documentNumber(page);
      const detail = page.locator('[data-testid=document-detail]');
      assert.match(await detail.innerText(), new RegExp(T.madeFrom));
      assert.equal((await page.locator('[data-testid=document-source]').innerText()).trim(), estimate);

      await page.click('[data-testid=convert-document]');
      await page.waitForURL((url) => url.href !== orderUrl && /\/documents\/\d+$/.test(url.pathname));
      await page.locator('h1', { hasText: T.invoice }).waitFor();
      await hydrated(page);
      const callerInvoice = await documentNumber(page);
      assert.equal((await page.locator('[data-testid=document-source]').innerText()).trim(), order);
      assert.match(await detail.innerText(), /Caller Person/);
      assert.equal(await page.locator('[data-testid=convert-document]').count(), 0, 'an invoice converts no further');
      await shot(page, `crm-empty-invoice-${width}`);

      // Each names what it turned into.
      await go(page, estimateUrl);
      assert.match(await detail.innerText(), new RegExp(T.turnedInto));
      assert.equal((await page.locator('[data-testid=document-converted] a').innerText()).trim(), `${T.workOrder} ${order}`);
      await go(page, orderUrl);
      assert.equal((await page.locator('[data-testid=document-converted] a').innerText()).trim(), `${T.invoice} ${callerInvoice}`);

      // Every list shows the caller's document with the card on their number.
      for (const [path, number] of [['/estimates', estimate], ['/orders', order], ['/invoices', callerInvoice]]) {
        await go(page, path);
        const row = page.locator('[data-testid=documents-table] tr', { hasText: number });
        await row.waitFor();
        assert.match(await row.innerText(), /Caller Person/, path);
        await cardShowsClient(page, CALLER, 'Caller Person', touch);
        assert.equal(new URL(page.url()).pathname, path, 'the card leaves the page where it was');
      }
      // Both invoices are on the Invoices list.
      await page.locator('[data-testid=documents-table] tr', { hasText: anaInvoice }).waitFor();
      await shot(page, `crm-empty-invoices-${width}`);

      // A longer list pages A–Z: 200 more clients, then "Show more" brings the rest.
      if (!touch) {
        const more = ['Name,Phone'];
        for (let i = 0; i < 200; i += 1) more.push(`Paged ${String(i).padStart(3, '0')},(41) 98${String(i).padStart(3, '0')}-0000`);
        await go(page, '/clients/import');
        await page.setInputFiles('[data-testid=client-import-file]', {
          name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from(more.join('\n')),
        });
        await page.locator('[data-testid=client-import-preview] [data-testid=client-import-run]').click();
        await page.locator('[data-testid=client-import-report]').waitFor();
        await go(page, '/clients');
        const rows = page.locator('table[data-testid=clients] tbody tr');
        assert.equal(await rows.count(), 200, 'the first page');
        await page.click('[data-testid=clients-more]');
        await page.locator('table[data-testid=clients] tbody tr', { hasText: 'Paged 199' }).waitFor();
        // Ana, Bruno, Caller Person, Carla and the 200, each once.
        assert.equal(await rows.count(), 204);
        await page.locator('[data-testid=clients-more]').waitFor({ state: 'detached' });
      }
      assert.deepEqual(page.errors, []);
    } catch (err) {
      await shot(page, `crm-empty-failed-${width}`).catch(() => {});
      console.error(`--- the business's server log (last lines) ---\n${business.log().split('\n').slice(-40).join('\n')}`);
      throw err;
    } finally {
      await page.context().close();
      business.stop();
      await twilio.close();
    }
  });
}
