// Notifications: the tab title counts unread conversations live; the browser's permission
// is asked for only from the profile's button (never on page load); then a lead's new
// message shows a notification named after the lead (not for the conversation on screen),
// plays the chime when the sound is on, and clicking the notification opens the conversation.
// The browser's Notification and AudioContext are replaced by recorders: headless
// Chromium shows no real notification to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newLeadPage, signIn, hydrated, shot } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function recordNotifications() {
  window.__notes = [];
  window.__asked = 0;
  window.__chimes = 0;
  class RecordedNotification {
    static get permission() { return localStorage.getItem('test.permission') ?? 'default'; }
    static requestPermission() {
      window.__asked += 1;
      localStorage.setItem('test.permission', 'granted');
      return Promise.resolve('granted');
    }
    constructor(title, options) {
      this.title = title;
      this.body = options?.body;
      this.tag = options?.tag;
      window.__notes.push(this);
    }
    close() {}
  }
  window.Notification = RecordedNotification;
  const RealAudioContext = window.AudioContext;
  window.AudioContext = class extends RealAudioContext {
    constructor(...args) { super(...args); window.__chimes += 1; }
  };
}

async function leadWrites(lead, name, text) {
  await lead.fill('#lead-name', name);
  await lead.fill('#lead-text', text);
  await lead.press('#lead-text', 'Enter');
}

function unreadInTitle(title) {
  const match = /^\((\d+)\) /.exec(title);
  return match ? Number(match[1]) : 0;
}

test('tab title count, permission on request only, a notification that opens the conversation', async () => {
  const page = await newPage(browser);
  await page.addInitScript(recordNotifications);
  await signIn(page);
  assert.equal(await page.evaluate(() => window.__asked), 0, 'no permission request on page load');
  const before = unreadInTitle(await page.title());

  const lead = await newLeadPage(browser);
  await lead.goto('/sandbox');
  await hydrated(lead);
  const name = `Notify Lead ${Date.now() % 100000}`;
  await leadWrites(lead, name, 'Is the shop open on Sunday?');
  await page.waitForFunction((n) => /^\((\d+)\) /.exec(document.title)?.[1] == n, before + 1);
  assert.match(await page.title(), /^\(\d+\) Conversations · Confab$/);
  assert.equal(await page.evaluate(() => window.__notes.length), 0, 'nothing shown before the employee asked for it');

  // The profile: the button asks the browser once; then both switches are on.
  await page.goto('/profile');
  await hydrated(page);
  assert.equal(await page.evaluate(() => window.__asked), 0, 'the profile does not ask by itself either');
  await page.click('[data-testid=notify-allow]');
  await page.locator('[data-testid=notify-desktop]').waitFor();
  assert.equal(await page.evaluate(() => window.__asked), 1);
  assert.equal(await page.isChecked('[data-testid=notify-desktop]'), true);
  await page.check('[data-testid=notify-sound]');
  await shot(page, 'profile-notifications');
  const chimesBefore = await page.evaluate(() => window.__chimes);

  // A new message while the employee is on another page: a notification and the chime.
  await leadWrites(lead, name, 'And on holidays?');
  await page.waitForFunction(() => window.__notes.length === 1);
  const note = await page.evaluate(() => ({ title: window.__notes[0].title, body: window.__notes[0].body, tag: window.__notes[0].tag }));
  assert.equal(note.title, name);
  assert.equal(note.body, 'And on holidays?');
  assert.match(note.tag, /^confab-conversation-\d+$/);
  assert.ok((await page.evaluate(() => window.__chimes)) > chimesBefore, 'the chime played');

  // Clicking it opens that conversation.
  const conversation = note.tag.replace('confab-conversation-', '');
  await page.evaluate(() => window.__notes[0].onclick());
  await page.waitForURL(`**/conversations/${conversation}`);
  await hydrated(page);

  // The conversation on screen does not notify: the employee is looking at it.
  await page.evaluate(() => { window.__notes = []; });
  await leadWrites(lead, name, 'Thanks!');
  await page.locator('.bubble-row.inbound', { hasText: 'Thanks!' }).waitFor();
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__notes.length), 0);

  // Reading it brings the title's count down.
  await page.waitForFunction((n) => !/^\((\d+)\) /.test(document.title) || Number(/^\((\d+)\) /.exec(document.title)[1]) <= n, before);
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await lead.context().close();
});
