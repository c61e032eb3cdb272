// The inbox page in headless Chromium, for the bench harness (bench/src/page.rs):
//
//   node end2end/bench/page.mjs URL RUNS [COLD_RUNS]
//
// Signs in once as the demo agent (the tests' own helpers, tests/support.mjs), then opens
// /conversations RUNS times, each in a fresh page of that browser context (its HTTP cache
// and compiled Wasm as a returning employee has them), and COLD_RUNS times in a fresh
// context each (an empty cache, the same session). For every load it reads, in ms since
// the navigation started:
// - `fcp`: the first contentful paint (`performance.getEntriesByName(...)`);
// - `interactive`: the moment `hydrate()` has returned — the Wasm instantiated and the
//   server-rendered page hydrated, its event handlers attached. This is what `hydrated()`
//   in support.mjs waits for (the Wasm instantiated), read when it happens rather than
//   after the network has been idle for half a second.
// Prints one JSON object on stdout; progress and errors go to stderr.

const [url, runsText = '20', coldText = '0'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node end2end/bench/page.mjs URL RUNS [COLD_RUNS]');
  process.exit(2);
}
const runs = Number(runsText);
const coldRuns = Number(coldText);
// support.mjs reads the server's address when it is imported.
process.env.CONFAB_E2E_URL = url;
const { launch, newPage, signIn, DESKTOP } = await import('../tests/support.mjs');

/// Runs in every page before its own scripts: when a Wasm module has been instantiated,
/// a task is queued; it runs once the promise chain that follows (wasm-bindgen's
/// initialisation, then Leptos's `mod.hydrate()`, whose `hydrate_lazy` finishes in
/// microtasks when the page is not a lazy one, as the inbox is not) has run to its end.
function markInteractive() {
  const mark = (promise) => promise.then((result) => {
    setTimeout(() => {
      if (window.__benchInteractive === undefined) window.__benchInteractive = performance.now();
    }, 0);
    return result;
  });
  for (const name of ['instantiateStreaming', 'instantiate']) {
    const original = WebAssembly[name];
    if (typeof original === 'function') {
      WebAssembly[name] = function (...args) { return mark(original.apply(this, args)); };
    }
  }
}

const TIMEOUT = 60_000;
// A Wasm that does not match the server's HTML fails to hydrate ("unreachable").
const HINT = ' (are the site and the confab binary from the same build?)';

/// One load of /conversations in a new page of `context`.
async function load(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    await page.goto(`${url}/conversations`, { waitUntil: 'commit', timeout: TIMEOUT });
    await page.waitForFunction(
      () => window.__benchInteractive !== undefined
        && performance.getEntriesByName('first-contentful-paint').length > 0,
      null,
      { timeout: TIMEOUT },
    );
    if (!new URL(page.url()).pathname.startsWith('/conversations')) {
      throw new Error(`the inbox sent the browser to ${page.url()} (not signed in?)`);
    }
    const figures = await page.evaluate(() => {
      const navigation = performance.getEntriesByType('navigation')[0];
      const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
      return {
        fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
        interactive: window.__benchInteractive,
        ttfb: navigation?.responseStart ?? null,
        dom_content_loaded: navigation?.domContentLoadedEventEnd ?? null,
        wasm_transfer_bytes: wasm?.transferSize ?? null,
        conversations: document.querySelectorAll('.conversation-row').length,
      };
    });
    if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}${HINT}`);
    return figures;
  } finally {
    await page.close();
  }
}

const browser = await launch();
try {
  const first = await newPage(browser);
  await signIn(first);
  if (first.errors.length) throw new Error(`signing in failed: ${first.errors.join('; ')}${HINT}`);
  const context = first.context();
  await context.addInitScript(markInteractive);
  await first.close();

  const warm = [];
  for (let i = 0; i < runs; i++) {
    warm.push(await load(context));
    console.error(`page: warm load ${i + 1}/${runs}: FCP ${warm.at(-1).fcp.toFixed(0)} ms, interactive ${warm.at(-1).interactive.toFixed(0)} ms`);
  }
  const session = await context.storageState();
  const cold = [];
  for (let i = 0; i < coldRuns; i++) {
    const fresh = await browser.newContext({ viewport: DESKTOP, storageState: session });
    await fresh.addInitScript(markInteractive);
    try {
      cold.push(await load(fresh));
    } finally {
      await fresh.close();
    }
    console.error(`page: cold load ${i + 1}/${coldRuns}: FCP ${cold.at(-1).fcp.toFixed(0)} ms, interactive ${cold.at(-1).interactive.toFixed(0)} ms`);
  }
  console.log(JSON.stringify({ browser: browser.version(), warm, cold }));
} finally {
  await browser.close();
}
