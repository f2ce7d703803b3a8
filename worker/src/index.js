// The worker entry: load the core (wasm), keep one gate per isolate, hand it every request.
// Every decision is made in Rust (crate/src/wasm/worker/); this file only wires it up.
import wasmModule from '../pkg/entra_edge_auth_bg.wasm';
import { initSync, EdgeGate } from '../pkg/entra_edge_auth.js';

initSync({ module: wasmModule });

let gate = null;
// LOG_BATCH_MS when the gate holds decision-log lines back (LOG_BATCH_LINES > 1), else 0;
// and when the timer last set to write them fires (a timer the runtime drops delays the
// next one by LOG_BATCH_MS at most, never forever).
let logWaitMs = 0;
let flushAt = 0;

export default {
  async fetch(request, env, ctx) {
    if (gate === null) {
      gate = new EdgeGate(env);
      logWaitMs = gate.logBatchMs();
    }
    try {
      const response = await gate.handle(request, ctx);
      if (logWaitMs > 0 && Date.now() >= flushAt && gate.logWaiting()) flushLater(gate, ctx);
      return response;
    } catch (err) {
      // Only a wasm trap gets here (the gate itself never rejects). Start over with a fresh
      // gate next time and deny this request: nothing unverified is ever forwarded.
      gate = null;
      console.error('entra-edge-auth: internal error', err);
      return new Response(JSON.stringify({ error: 'internal_error', message: 'the edge gate failed' }), {
        status: 500,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    }
  },
};

// Writes the lines `g` holds back once LOG_BATCH_MS have passed, the request's `waitUntil`
// keeping the isolate alive until then (a runtime without one never gets a timer: its lines
// are written when a batch fills or a deny comes).
function flushLater(g, ctx) {
  if (typeof ctx?.waitUntil !== 'function') return;
  flushAt = Date.now() + logWaitMs;
  ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, logWaitMs)).then(() => g.flushLog()));
}

// For tests and operators' tooling: the current isolate's counters (not routed anywhere).
export function gateStats() {
  return gate ? JSON.parse(gate.stats()) : null;
}
