// Shared set-up for the end-to-end tests: Debian's Chromium driven by playwright-core
// against the Confab server that scripts/test started (CONFAB_E2E_URL).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/// A page that fails the test on any uncaught browser error. `options` go to the browser
/// context (e.g. `{ locale: 'pt-BR' }`, which sets Accept-Language and navigator.language).
export async function newPage(browser, viewport = DESKTOP, options = {}) {
  const context = await browser.newContext({ viewport, baseURL: BASE_URL, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  // A script or style our Content-Security-Policy blocked is an error too, and so is a
  // Rust panic in the Wasm (its message, logged by the panic hook before the trap that
  // `pageerror` sees only as "unreachable").
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|panicked at/i.test(msg.text())) page.errors.push(msg.text());
  });
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

/// The fake provider APIs Confab is pointed at in the end-to-end run (Graph API and
/// Twilio's REST API on one port, CONFAB_E2E_PROVIDER_PORT): answers as documented and
/// records every request in `sent` ({ method, path, json, form }).
export const PROVIDER_PORT = Number(process.env.CONFAB_E2E_PROVIDER_PORT ?? 0);

/// `port`: where to listen (PROVIDER_PORT, the one the suite's server uses, unless told;
/// a test's own server gets fake providers of its own on a `freePort()`).
export async function startFakeProviders({ profile = () => ({}), port = PROVIDER_PORT } = {}) {
  const sent = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let json = {};
      try { json = body ? JSON.parse(body) : {}; } catch { json = {}; }
      const form = Object.fromEntries(new URLSearchParams(body));
      sent.push({ method: req.method, path: req.url, json, form });
      res.setHeader('content-type', 'application/json');
      if (req.url.includes('/Messages.json')) {
        res.end(JSON.stringify({ sid: `SM${String(sent.length).padStart(32, '0')}`, status: 'queued' }));
      } else if (req.method === 'GET') {
        res.end(JSON.stringify(profile(req.url)));
      } else if (json.sender_action) {
        res.end(JSON.stringify({ recipient_id: json.recipient.id }));
      } else {
        res.end(JSON.stringify({ recipient_id: json.recipient?.id, message_id: `m_e2e_${sent.length}` }));
      }
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { sent, close: () => new Promise((resolve) => server.close(resolve)) };
}

/// A TCP port nobody listens on now.
export function freePort() {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/// An empty business's server (CONFAB_E2E_BINARY on a database of its own, no demo data);
/// resolves with its URL and the one-time setup code it logged. `env`: more of the
/// server's environment (e.g. CONFAB_TWILIO_API_URL).
export async function emptyBusiness({ env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'confab-setup-'));
  const port = await freePort();
  const child = spawn(process.env.CONFAB_E2E_BINARY, ['serve'], {
    env: {
      PATH: process.env.PATH,
      CONFAB_DATABASE_URL: `sqlite://${dir}/confab.db`,
      CONFAB_ADDR: `127.0.0.1:${port}`,
      CONFAB_MEDIA_DIR: `${dir}/media`,
      LEPTOS_SITE_ROOT: process.env.CONFAB_E2E_SITE_ROOT,
      RUST_LOG: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const stop = () => { child.kill(); rmSync(dir, { recursive: true, force: true }); };
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`no setup code in the log:\n${log}`)); }, 30_000);
    const read = (chunk) => {
      log += chunk;
      const found = log.match(/one-time code ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){4})/);
      if (found && log.includes('Confab is ready')) { clearTimeout(timer); resolve(found[1]); }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (status) => reject(new Error(`the server exited (${status}):\n${log}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    code,
    /// What the server logged so far (to show when a test fails).
    log: () => log,
    stop,
  };
}

/// Runs axe-core on the page and returns its serious and critical violations, each as
/// "rule: target (summary)" lines, so an assertion shows what to fix. The page must come
/// from a context made with `{ bypassCSP: true }`: axe is injected as an inline script.
export async function seriousA11yViolations(page) {
  const { createRequire } = await import('node:module');
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(', ')}`);
}

/// A client address of its own, for `X-Forwarded-For` (the e2e server trusts it,
/// CONFAB_TRUST_PROXY): the sandbox takes 30 messages a minute from one address, and the
/// suite's leads all write from this machine.
export function leadAddress() {
  const byte = () => Math.floor(Math.random() * 256);
  return `10.${byte()}.${byte()}.${byte()}`;
}

/// A page of a lead's browser on /sandbox: a browser context of its own (so a lead of its
/// own: the server binds the lead to a cookie), from an address of its own.
export async function newLeadPage(browser, viewport = { width: 420, height: 800 }, options = {}) {
  return newPage(browser, viewport, { ...options, extraHTTPHeaders: { 'x-forwarded-for': leadAddress() } });
}

/// The sandbox channels that are on.
export async function sandboxChannels() {
  return (await fetch(`${BASE_URL}/api/sandbox_channels`, { method: 'POST' })).json();
}

/// A sandbox lead played without a page: the server makes it as it does for /sandbox (its
/// cookie, its id); only that cookie may write as it.
export async function newLead() {
  const response = await fetch(`${BASE_URL}/api/sandbox_lead`, {
    method: 'POST',
    headers: { accept: 'application/json', 'x-forwarded-for': leadAddress() },
  });
  if (!response.ok) throw new Error(`sandbox_lead answered ${response.status}`);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('confab_sandbox_lead='));
  return { id: await response.json(), cookie: cookie.split(';')[0] };
}

/// `lead` (from `newLead`) writes `text` to the sandbox channel `channel`; the response.
export async function leadWrites(channel, lead, { name, messageId, text }) {
  return fetch(`${BASE_URL}/webhooks/sandbox/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: lead.cookie, 'x-forwarded-for': leadAddress() },
    body: JSON.stringify({ type: 'message', lead_id: lead.id, name, message_id: messageId, text }),
  });
}
