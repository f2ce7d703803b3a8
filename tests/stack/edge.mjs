// The real edge worker (worker/src/index.js and the core's wasm in worker/pkg) under workerd,
// through the Miniflare API, on 127.0.0.1: the gate between the demo page and the origin API.
// Miniflare comes from the worker's own npm packages (worker/node_modules), so the stack
// runs the same workerd the worker's tests do.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The route policy of the demo API (the worker's `POLICY`). `OPTIONS` is public so a
 * browser's CORS preflight (which never carries a credential) reaches origin, which
 * answers it; every other method is checked. */
export const POLICY = {
  rules: [
    { path: '/api', match: 'prefix', methods: ['OPTIONS'], public: true },
    { path: '/api/tickets', methods: ['GET', 'HEAD'], roles: ['viewer', 'itsm_agent', 'itsm_manager', 'super_admin'] },
    { path: '/api/tickets', methods: ['POST'], roles: ['itsm_agent', 'itsm_manager', 'super_admin'] },
    { path: '/api/admin', match: 'prefix', roles: ['super_admin'] },
  ],
};

async function loadMiniflare(workerDir) {
  const require = createRequire(path.join(workerDir, 'package.json'));
  let entry;
  try {
    entry = require.resolve('miniflare');
  } catch {
    throw new Error('miniflare is not installed in worker/: run `npm ci` there (www/demo.sh and tests/browser/run.sh do)');
  }
  return (await import(pathToFileURL(entry).href)).Miniflare;
}

/**
 * Starts the worker on `127.0.0.1:port` with `bindings` (its environment: ORIGIN_URL,
 * COGNITO_*, ALB_*, GROUP_ROLES, POLICY, …). Resolves once workerd answers.
 */
export async function startEdge({ port, workerDir, bindings }) {
  const wasm = path.join(workerDir, 'pkg/entra_edge_auth_bg.wasm');
  if (!fs.existsSync(wasm)) {
    throw new Error(`${wasm} is missing: build the worker first (www/demo.sh and tests/browser/run.sh do)`);
  }
  const Miniflare = await loadMiniflare(workerDir);
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(workerDir, 'src/index.js'),
    modulesRoot: workerDir,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    // As worker/wrangler.toml: no newer than the workerd that worker/package.json pins.
    compatibilityDate: '2026-04-01',
    // The demo shows why a request was refused (deny bodies carry the detailed reason).
    bindings: { EXPOSE_DENY_DETAIL: 'true', ...bindings },
    host: '127.0.0.1',
    port,
  });
  const url = (await mf.ready).toString().replace(/\/$/, '');
  return { url, mf, close: () => mf.dispose() };
}
