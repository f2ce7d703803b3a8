// The stack's one edge gate: the real edge worker (worker/src/index.js and the core's wasm in
// worker/pkg) run self-hosted by the `workerd` binary (worker/workerd/start.mjs, as on an
// instance behind the ALB), on 127.0.0.1. The demo page's API calls (Bearer) and seed 000's
// ALB listener (x-amzn-oidc-data) both reach it; it forwards to the one origin.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The demo API's rules in the gate's `POLICY`. `OPTIONS` is public so a browser's CORS
 * preflight (which never carries a credential) reaches origin, which answers it; every other
 * method is checked. The API's other paths are for super_admin only: seed 000's rules come
 * after these and admit any verified user, which must not open the rest of the API. */
export const API_POLICY_RULES = [
  { path: '/api', match: 'prefix', methods: ['OPTIONS'], public: true },
  { path: '/api/tickets', methods: ['GET', 'HEAD'], roles: ['viewer', 'itsm_agent', 'itsm_manager', 'super_admin'] },
  { path: '/api/tickets', methods: ['POST'], roles: ['itsm_agent', 'itsm_manager', 'super_admin'] },
  { path: '/api/admin', match: 'prefix', roles: ['super_admin'] },
  { path: '/api', match: 'prefix', roles: ['super_admin'] },
];

/**
 * Starts the gate on `127.0.0.1:port` with `settings` as its whole environment (ORIGIN_URL,
 * POLICY, COGNITO_*, ALB_*, ENTRA_*, …). Resolves to `{ url, pid, decisions, decision, close }`
 * once workerd listens (`decisions`: its decision-log lines so far, parsed; `decision(match)`:
 * the first line `match` accepts, waited for, since workerd may write a line after the
 * response it describes has reached the client); a bad setting rejects, naming it (start.mjs
 * refuses to start).
 */
export async function startEdge({ port, workerDir, settings, log = () => {} }) {
  const wasm = path.join(workerDir, 'pkg/entra_edge_auth_bg.wasm');
  if (!fs.existsSync(wasm)) {
    throw new Error(`${wasm} is missing: build the worker first (www/demo.sh and tests/browser/run.sh do)`);
  }
  const { startWorkerdGate } = await import(pathToFileURL(path.join(workerDir, 'test/workerd-process.mjs')).href);
  // The decision log (one JSON line per decision), kept for the tests.
  const decisions = [];
  const waiting = new Set();
  const gate = await startWorkerdGate(settings, {
    listen: `127.0.0.1:${port}`,
    log: (line) => {
      log(`[gate] ${line}`);
      if (!line.startsWith('{"')) return;
      try { decisions.push(JSON.parse(line)); } catch { return; /* not a decision line */ }
      for (const wake of waiting) wake();
    },
  });
  const decision = (match, timeoutMs = 5000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(check);
      reject(new Error(`no decision-log line matched within ${timeoutMs} ms (${decisions.length} lines seen)`));
    }, timeoutMs);
    function check() {
      const found = decisions.find(match);
      if (found === undefined) return;
      waiting.delete(check);
      clearTimeout(timer);
      resolve(found);
    }
    waiting.add(check);
    check();
  });
  return { url: gate.url, pid: gate.pid, decisions, decision, close: () => gate.stop() };
}
