// Shared by the browser tests: the stack on test ports, Debian's Chromium through
// playwright-core, and the steps a person takes on the demo page.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startStack } from '../stack/stack.mjs';
import { USERS, DEMO_PASSWORD, GROUP_ROLES } from '../stack/config.mjs';

export { USERS, DEMO_PASSWORD, GROUP_ROLES };

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '../artifacts');

/**
 * Test ports (fixed, apart from the demo's) unless the environment says otherwise. They sit
 * below Linux's ephemeral range (32768-60999): a port in that range can be held at any moment
 * by some process's `listen(0)` or outgoing connection, which is how a CI run once found
 * 47150 taken and failed every end-to-end test with EADDRINUSE.
 */
export const PORTS = {
  provider: Number(process.env.TEST_PROVIDER_PORT ?? 27110),
  obo: Number(process.env.TEST_OBO_PORT ?? 27120),
  web: Number(process.env.TEST_WEB_PORT ?? 27130),
  edge: Number(process.env.TEST_EDGE_PORT ?? 27140),
  origin: Number(process.env.TEST_ORIGIN_PORT ?? 27150),
  alb: Number(process.env.TEST_ALB_PORT ?? 27160),
  albListener: Number(process.env.TEST_ALB_LISTENER_PORT ?? 27170),
};

/** Bounded waits: long enough for a loaded 2-core machine, never unbounded. */
export const WAIT = { timeout: 20_000 };

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export async function stack(options = {}) {
  return startStack({ ports: PORTS, log: process.env.STACK_LOG ? (l) => console.log(l) : () => {}, ...options });
}

/** A fresh browser profile per call. */
export async function browser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entra-edge-auth-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 1500 },
  });
  context.setDefaultTimeout(WAIT.timeout);
  const consoleLines = [];
  context.on('page', (page) => page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`)));
  return {
    context,
    consoleLines,
    async page() {
      const page = context.pages()[0] ?? await context.newPage();
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the demo and waits until it settled. */
/** A fresh page whose demo keeps tokens in sessionStorage, so "nothing stored" can be
 * checked there. */
export async function pageWithSessionStorage(chrome, stack) {
  const page = await chrome.context.newPage();
  await page.goto(stack.urls.demo);
  await page.evaluate((config) => {
    localStorage.setItem('entra-edge-auth-demo:settings', JSON.stringify({ ...config, storage: 'session' }));
    sessionStorage.clear();
  }, stack.demoConfig);
  return page;
}

export async function openDemo(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', WAIT);
}

/** Clicks "Sign in", fills the provider's form, and waits for the demo to settle. */
export async function signIn(page, demoUrl, username, password = DEMO_PASSWORD) {
  await openDemo(page, demoUrl);
  await page.click('#sign-in');
  await page.waitForSelector('#username', WAIT);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#sign-in');
  await page.waitForURL((u) => u.href.startsWith(demoUrl), WAIT);
  await page.waitForSelector('body[data-ready]', WAIT);
}

/** The demo's sessionStorage entries written by the package. */
export async function packageStorage(page) {
  return page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('entra-edge-auth:')));
}

/** The roles shown on the page. */
export async function shownRoles(page) {
  return page.$$eval('#roles li', (items) => items.map((li) => li.textContent));
}

export async function errorCode(page) {
  await page.waitForSelector('#error:not([hidden])', WAIT);
  return page.getAttribute('#error', 'data-code');
}
