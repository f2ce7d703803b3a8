// The worker entry: load the core (wasm), keep one gate per isolate, hand it every request.
// Every decision is made in Rust (crate/src/wasm/worker/); this file only wires it up.
import wasmModule from '../pkg/entra_edge_auth_bg.wasm';
import { initSync, EdgeGate } from '../pkg/entra_edge_auth.js';

initSync({ module: wasmModule });

let gate = null;

export default {
  async fetch(request, env, ctx) {
    gate ??= new EdgeGate(env);
    try {
      return await gate.handle(request, ctx);
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

// For tests and operators' tooling: the current isolate's counters (not routed anywhere).
export function gateStats() {
  return gate ? JSON.parse(gate.stats()) : null;
}
