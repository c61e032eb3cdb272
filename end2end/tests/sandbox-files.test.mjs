// An employee sends a photo and a PDF to the sandbox lead: picked (and dropped), previewed,
// uploaded with progress, and the lead's page shows the photo and a link to the PDF,
// fetched from the same signed URL a real provider gets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newLeadPage, signIn, hydrated, shot } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

test('files sent to the sandbox lead reach the lead', async () => {
  const lead = await newLeadPage(browser);
  await lead.goto('/sandbox');
  await hydrated(lead);
  const name = `Files Lead ${Date.now() % 100000}`;
  await lead.fill('#lead-name', name);
  await lead.fill('#lead-text', 'Can you send me the price list?');
  await lead.press('#lead-text', 'Enter');

  const employee = await newPage(browser);
  await signIn(employee);
  await employee.locator('.conversation-row', { hasText: name }).click();
  await employee.locator('#composer-text').waitFor();

  // A photo, picked.
  await employee.locator('[data-testid=attach-input]').setInputFiles({ name: 'shop.png', mimeType: 'image/png', buffer: PNG });
  await employee.locator('[data-testid=file-preview]', { hasText: 'shop.png' }).waitFor();
  await employee.fill('#composer-text', 'Our shop');
  await employee.click('.send-button');
  await employee.locator('.bubble-row.outbound .attachment-image img').waitFor();

  // A PDF, dropped on the reply box.
  const drop = await employee.evaluateHandle((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'prices.pdf', { type: 'application/pdf' }));
    return transfer;
  }, [...PDF]);
  await employee.dispatchEvent('#composer-text', 'drop', { dataTransfer: drop });
  await employee.locator('[data-testid=file-preview]', { hasText: 'prices.pdf' }).waitFor();
  await employee.click('.send-button');
  await employee.waitForFunction(() => document.querySelector('[data-testid=file-preview]') === null);
  await shot(employee, 'sandbox-files-employee');

  // The lead sees both: the photo loads, the PDF link downloads the same bytes.
  const photo = lead.locator('[data-testid=lead-file-image]');
  await photo.waitFor({ timeout: 10000 });
  await lead.waitForFunction(() => document.querySelector('[data-testid=lead-file-image]')?.naturalWidth > 0);
  assert.match(await photo.getAttribute('src'), /^\/media\/public\/\d+\/\d+-[0-9a-f]{64}$/);
  await lead.locator('.lead-bubble, .bubble', { hasText: 'Our shop' }).first().waitFor();
  const link = lead.locator('[data-testid=lead-file-link]', { hasText: 'prices.pdf' });
  await link.waitFor();
  const href = await link.getAttribute('href');
  const fetched = await lead.evaluate(async (url) => {
    const response = await fetch(url);
    return { type: response.headers.get('content-type'), bytes: [...new Uint8Array(await response.arrayBuffer())] };
  }, href);
  assert.equal(fetched.type, 'application/pdf');
  assert.deepEqual(Buffer.from(fetched.bytes), PDF);
  await shot(lead, 'sandbox-files-lead');
  assert.deepEqual(employee.errors, []);
  assert.deepEqual(lead.errors, []);
});
