// The package through a real bundler: the package README's Vite example (tests/bundler),
// built with Vite and vite-plugin-wasm from the package's bundler entry (pkg-bundler, the
// .wasm imported as an ES module), signs a user in against the local stack and shows the
// roles of the OBO answer. The demo page uses the web entry; this is the other one.
// The package arrives as a user gets it: `npm pack` in www/, the tarball installed into the
// example (no path link), so a file missing from package.json `files` fails here; and the
// example plus a file calling every public API are type-checked against the tarball's
// declarations (tsc --noEmit --strict).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';

import { DEMO_SCOPES, SPA_CLIENT_ID, TENANT_ID } from '../stack/config.mjs';
import * as h from './helpers.mjs';

const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bundler');
const www = path.resolve(app, '../../www');

let stack;
let chrome;

/** `npm pack` in www/, then `npm install` of the tarball into the example, as a user would
 *  install it from the registry. Returns the files the tarball holds. */
function installPackedPackage() {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'entra-edge-auth-pack-'));
  try {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: www, encoding: 'utf8' }),
    );
    // --no-save: package.json and the lock file keep only Vite and TypeScript.
    execFileSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', path.join(packDir, packed.filename)],
      { cwd: app, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    return packed.files.map((f) => f.path);
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
  }
}

before(async () => {
  const files = installPackedPackage();
  const installed = path.join(app, 'node_modules/entra-edge-auth');
  assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'the package must be installed from its tarball, not linked');
  assert.ok(files.includes('pkg-bundler/entra_edge_auth_bg.wasm'), files.join(' '));
  // The declarations as users get them: the example (checkJs) and every public call.
  execFileSync(path.join(app, 'node_modules/.bin/tsc'), ['-p', app, '--noEmit', '--strict'], {
    cwd: app,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // Vite writes these settings into the bundle (import.meta.env), as an app's build would.
  execFileSync(path.join(app, 'node_modules/.bin/vite'), ['build'], {
    cwd: app,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      VITE_TENANT_ID: TENANT_ID,
      VITE_CLIENT_ID: SPA_CLIENT_ID,
      VITE_SCOPES: DEMO_SCOPES,
      VITE_AUTHORITY_HOST: `http://127.0.0.1:${h.PORTS.provider}`,
      VITE_OBO_ENDPOINT: `http://127.0.0.1:${h.PORTS.obo}/obo/exchange`,
    },
  });
  stack = await h.stack();
  chrome = await h.browser();
});

after(async () => {
  await chrome?.close();
  await stack?.close();
});

test('the Vite build of the README example signs a user in and shows the roles', async (t) => {
  const user = h.USERS.find((u) => u.groups.includes('SG-StackFlow-ITSM-Managers'));
  const page = await chrome.context.newPage();
  // Signed out, the example goes straight to the provider's sign-in form.
  await page.goto(stack.urls.app);
  await page.waitForSelector('#username', h.WAIT);
  await page.fill('#username', user.username);
  await page.fill('#password', h.DEMO_PASSWORD);
  await page.click('#sign-in');
  await page.waitForURL((u) => u.href.startsWith(stack.urls.app), h.WAIT);
  await page.waitForSelector('body[data-ready]', { ...h.WAIT, state: 'attached' });

  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  assert.equal(await page.textContent('#user'), user.username);
  const expected = h.GROUP_ROLES.filter((r) => user.groups.includes(r.group)).map((r) => r.role);
  assert.deepEqual(await page.$$eval('#roles li', (items) => items.map((li) => li.textContent)), expected);
  assert.ok(!page.url().includes('code=') && !page.url().includes('state='), page.url());

  // What the bundle weighs (reported, not asserted): the size www/size.mjs estimates with
  // esbuild, here as Vite ships it.
  const assets = path.join(app, 'dist/assets');
  const gz = (file) => zlib.gzipSync(fs.readFileSync(path.join(assets, file)), { level: 9 }).length;
  const files = fs.readdirSync(assets);
  const js = files.filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + gz(f), 0);
  const wasm = files.filter((f) => f.endsWith('.wasm')).reduce((sum, f) => sum + gz(f), 0);
  t.diagnostic(`Vite build, gzip -9: JS ${(js / 1024).toFixed(1)} KB + wasm ${(wasm / 1024).toFixed(1)} KB = ${((js + wasm) / 1024).toFixed(1)} KB`);
});
