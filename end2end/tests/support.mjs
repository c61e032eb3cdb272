// Shared set-up for the end-to-end tests: Debian's Chromium driven by playwright-core
// against the Confab server that scripts/test started (CONFAB_E2E_URL).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const BASE_URL = process.env.CONFAB_E2E_URL ?? 'http://127.0.0.1:3000';
export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

export const AGENT = { email: 'agent@demo.confab', password: 'confab-agent', name: 'Ana Agent' };
export const OWNER = { email: 'owner@demo.confab', password: 'confab-owner', name: 'Olivia Owner' };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
    ],
  });
}

/// A page that fails the test on any uncaught browser error.
export async function newPage(browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, baseURL: BASE_URL });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  return page;
}

/// Waits until hydration has attached the event handlers (Leptos marks nothing, so we
/// wait for the Wasm module to have been instantiated and the page to be idle).
export async function hydrated(page) {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
  await page.waitForTimeout(150);
}

export async function signIn(page, who = AGENT) {
  await page.goto('/login');
  await hydrated(page);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.click('button[type=submit]');
  await page.waitForURL('**/conversations');
  await hydrated(page);
}

export async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
}
