// This package against @azure/msal-browser, measured in one run (a benchmark, not a test).
//
//   bash tests/compare/run.sh                    20 runs per app and CPU rate, prints the table
//   BENCH_RUNS=1 bash tests/compare/run.sh       CI: both apps sign in once at each rate
//
// Two equivalent minimal Vite apps (apps/ours: this package, installed from its `npm pack`
// tarball; apps/msal: @azure/msal-browser from npm) sign the same user in against the same
// local provider (tests/stack/provider.mjs, Entra-shaped) in the same headless Chromium
// (Debian's, through playwright-core): open the app, which redirects to the provider; sign
// in; the callback page handles the redirect and has the account; then two silent token
// calls. Runs are interleaved (ours, MSAL, MSAL, ours, …) at CPU rate 1× and 4× (DevTools
// `Emulation.setCPUThrottlingRate`), each in a fresh browser context (cold cache, no
// cookies). Per run, for the callback page (from the request of the redirect URI to the
// moment the app has the account):
//   - bytes: what went over the wire (CDP encodedDataLength; the bench's static server
//     gzips, level 9, as a production server would; the provider's answers as they come);
//   - requests: how many the callback page made;
//   - scripting: main-thread script time (CDP Performance.getMetrics ScriptDuration; the
//     sign-in form runs no script, so the difference from the click on is the callback
//     page's);
//   - wall: from the callback request to the account being available;
//   - JS heap: used JS heap after sign-in and a forced GC (JSHeapUsedSize; wasm linear
//     memory is not in it, so it is also given with the wasm memories added);
//   - silent: time to a silent access token for a second call (the first comes before).
// Prints medians and `ours / MSAL`, then each app's requests on the callback page with
// their median start and end (ms from the callback request): where the wall time goes.
// Exits non-zero if an app fails to sign in.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { chromium } from 'playwright-core';

import { DEMO_PASSWORD, DEMO_SCOPES, SPA_CLIENT_ID, TENANT_ID, USERS } from '../stack/config.mjs';
import { startProvider } from '../stack/provider.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const www = path.resolve(here, '../../www');
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const RATES = (process.env.BENCH_RATES ?? '1,4').split(',').map(Number);
const PORTS = {
  provider: Number(process.env.TEST_PROVIDER_PORT ?? 27210),
  web: Number(process.env.TEST_WEB_PORT ?? 27230),
};
const APPS = ['ours', 'msal'];
const USER = USERS[1];
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
const log = (line) => process.stderr.write(`${line}\n`);

/** This package as users get it: `npm pack` in www/, the tarball installed here. */
function installPackedPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entra-edge-auth-pack-'));
  try {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: www, encoding: 'utf8' }));
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, packed.filename)], {
      cwd: here,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function build(app, env) {
  execFileSync(path.join(here, 'node_modules/.bin/vite'), ['build', '--config', path.join(here, 'vite.config.js')], {
    cwd: here,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env, APP: app },
  });
}

/** The two apps' builds under /compare/<app>/, gzip (level 9) when the browser accepts it;
 *  no-store, so every callback page fetches everything it needs. */
function startStatic(port) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const match = /^\/compare\/(ours|msal)(\/.*)$/.exec(url.pathname);
    if (!match) return res.writeHead(404).end();
    const root = path.join(here, 'dist', match[1]);
    const file = path.resolve(root, `.${match[2].endsWith('/') ? `${match[2]}index.html` : match[2]}`);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) return res.writeHead(404).end();
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' }[path.extname(file)];
    let body = fs.readFileSync(file);
    const headers = { 'Content-Type': type ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      body = zlib.gzipSync(body, { level: 9 });
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(200, headers).end(body);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Records every wasm memory the page instantiates (the heap metric does not count them). */
const WASM_MEMORY_PROBE = `(() => {
  const memories = (globalThis.__wasmMemories = []);
  const keep = (instance) => {
    for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = async function (...args) {
      const result = await original.apply(this, args);
      keep(result instanceof WebAssembly.Instance ? result : result.instance);
      return result;
    };
  }
})();`;

async function signInOnce(browser, app, rate, urls) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(WASM_MEMORY_PROBE);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Performance.enable');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    const requests = new Map();
    let recording = false;
    cdp.on('Network.requestWillBeSent', (e) => {
      if (!recording) return;
      const r = requests.get(e.requestId) ?? { bytes: 0 };
      if (e.redirectResponse) r.bytes += e.redirectResponse.encodedDataLength ?? 0;
      Object.assign(r, { url: e.request.url, type: e.type, wallTime: e.wallTime, timestamp: e.timestamp });
      requests.set(e.requestId, r);
    });
    cdp.on('Network.loadingFinished', (e) => {
      const r = requests.get(e.requestId);
      if (r) Object.assign(r, { finalBytes: e.encodedDataLength, finished: e.timestamp });
    });
    const metric = async (name) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name).value;

    await page.goto(urls[app], { timeout: 60_000 });
    await page.waitForSelector('#username', { timeout: 60_000 });
    await page.fill('#username', USER.username);
    await page.fill('#password', DEMO_PASSWORD);
    const scriptBefore = await metric('ScriptDuration');

    recording = true;
    await page.click('#sign-in');
    await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 120_000 });
    recording = false;
    const error = await page.textContent('#error');
    assert.equal(await page.isHidden('#error'), true, `${app}: ${error}`);
    const scriptAfter = await metric('ScriptDuration');

    const { accountAt, timeOrigin, username } = await page.evaluate(() => ({
      accountAt: window.__bench.accountAt,
      timeOrigin: performance.timeOrigin,
      username: window.__bench.username,
    }));
    assert.equal(username, USER.username, `${app} signed in someone else`);

    // The callback page: from the request of the redirect URI (the last hop of the
    // provider's redirects) on. Earlier requests are the sign-in form's POST and its hops.
    const all = [...requests.values()];
    const callback = all.findLast((r) => r.type === 'Document' && r.url.startsWith(urls[app]));
    assert.ok(callback, `${app}: no callback navigation seen`);
    const onCallback = all.filter((r) => r === callback || (r.type !== 'Document' && r.wallTime >= callback.wallTime));
    // For the document, only its last response counts (the redirects belong to the provider).
    const bytes = onCallback.reduce((sum, r) => sum + (r === callback ? (r.finalBytes ?? 0) - r.bytes : (r.finalBytes ?? 0)), 0);

    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await metric('JSHeapUsedSize');
    const wasmMemory = await page.evaluate(() => globalThis.__wasmMemories.reduce((s, m) => s + m.buffer.byteLength, 0));
    const silent = await page.evaluate(async () => {
      await window.__bench.silentToken();
      const start = performance.now();
      const token = await window.__bench.silentToken();
      if (typeof token !== 'string' || token.split('.').length !== 3) throw new Error('no access token');
      return performance.now() - start;
    });
    return {
      bytes,
      requests: onCallback.length,
      scripting: Math.max(0, (scriptAfter - scriptBefore) * 1000),
      wall: timeOrigin + accountAt - callback.wallTime * 1000,
      heap,
      heapWasm: heap + wasmMemory,
      silent,
      urls: onCallback.map((r) => new URL(r.url).pathname),
      timeline: onCallback.map((r) => ({
        what: requestName(r),
        start: (r.timestamp - callback.timestamp) * 1000,
        end: ((r.finished ?? r.timestamp) - callback.timestamp) * 1000,
      })),
    };
  } finally {
    await context.close();
  }
}

/** A short name for a request of the callback page. */
function requestName(r) {
  const { pathname } = new URL(r.url);
  if (r.type === 'Document') return 'document';
  if (pathname.endsWith('.js')) return 'script';
  if (pathname.endsWith('.wasm')) return 'wasm';
  if (pathname.endsWith('/openid-configuration')) return 'discovery';
  if (pathname.endsWith('/token')) return 'token';
  if (pathname.endsWith('/keys')) return 'keys';
  return pathname;
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const COLUMNS = [
  ['bytes', 'bytes transferred, callback page (gzip)', (v) => `${(v / 1024).toFixed(1)} KB`],
  ['requests', 'requests, callback page', (v) => `${v}`],
  ['scripting', 'main-thread scripting to account', (v) => `${v.toFixed(1)} ms`],
  ['wall', 'wall time to account', (v) => `${v.toFixed(1)} ms`],
  ['heap', 'JS heap after sign-in', (v) => `${(v / 1024).toFixed(0)} KB`],
  ['heapWasm', 'JS heap + wasm memory', (v) => `${(v / 1024).toFixed(0)} KB`],
  ['silent', 'silent token, second call', (v) => `${v.toFixed(2)} ms`],
];

async function main() {
  const webOrigin = `http://127.0.0.1:${PORTS.web}`;
  const provider = await startProvider({
    port: PORTS.provider,
    webOrigin,
    extraRedirectPaths: APPS.map((app) => `/compare/${app}/`),
  });
  const server = await startStatic(PORTS.web);
  let browser;
  try {
    installPackedPackage();
    const discovery = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).text();
    const env = {
      VITE_TENANT_ID: TENANT_ID,
      VITE_CLIENT_ID: SPA_CLIENT_ID,
      VITE_SCOPES: DEMO_SCOPES,
      VITE_AUTHORITY_HOST: provider.origin,
      // MSAL: an https authority (it refuses http) whose metadata, given inline, points at
      // the local provider's real http endpoints.
      VITE_MSAL_AUTHORITY: provider.issuer.replace(/^http:/, 'https:'),
      VITE_AUTHORITY_METADATA: discovery,
    };
    for (const app of APPS) build(app, env);
    const urls = Object.fromEntries(APPS.map((app) => [app, `${webOrigin}/compare/${app}/`]));

    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const results = {};
    for (let run = 0; run < RUNS; run++) {
      for (const rate of RATES) {
        // Interleaved, and the order flips every run so neither app always goes first.
        for (const app of run % 2 ? [...APPS].reverse() : APPS) {
          const r = await signInOnce(browser, app, rate, urls);
          (results[`${app}@${rate}`] ??= []).push(r);
          log(`run ${run + 1}/${RUNS} ${app} ${rate}x: wall ${r.wall.toFixed(0)} ms, scripting ${r.scripting.toFixed(0)} ms, ${r.requests} requests (${r.urls.join(' ')})`);
        }
      }
    }

    const lines = [];
    for (const rate of RATES) {
      lines.push('', `CPU ${rate}x, median of ${RUNS} run(s) each`, '');
      lines.push('| column | ours | MSAL.js | ours / MSAL |', '|---|---|---|---|');
      for (const [key, title, show] of COLUMNS) {
        const ours = median(results[`ours@${rate}`].map((r) => r[key]));
        const msal = median(results[`msal@${rate}`].map((r) => r[key]));
        lines.push(`| ${title} | ${show(ours)} | ${show(msal)} | ${(ours / msal).toFixed(2)} |`);
      }
    }
    for (const rate of RATES) {
      lines.push('', `Where the wall time goes at CPU ${rate}x: each request of the callback page, median start–end in ms from the callback request`, '');
      for (const app of APPS) {
        const runs = results[`${app}@${rate}`];
        const names = runs[0].timeline.map((t) => t.what);
        const spans = names.map((name) => {
          const of = runs.map((r) => r.timeline.find((t) => t.what === name)).filter(Boolean);
          return `${name} ${median(of.map((t) => t.start)).toFixed(0)}–${median(of.map((t) => t.end)).toFixed(0)}`;
        });
        lines.push(`- ${app}: ${spans.join(', ')}; account at ${median(runs.map((r) => r.wall)).toFixed(0)}`);
      }
    }
    const msalVersion = JSON.parse(fs.readFileSync(path.join(here, 'node_modules/@azure/msal-browser/package.json'), 'utf8')).version;
    const chrome = browser.version();
    console.log(`entra-edge-auth (npm pack of www/) vs @azure/msal-browser ${msalVersion}, Chromium ${chrome}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(lines.join('\n'));
  } finally {
    await browser?.close();
    server.close();
    await provider.close();
  }
}

await main();
