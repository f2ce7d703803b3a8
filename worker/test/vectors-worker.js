// Test-only worker: runs signature vectors through the core's shape check and the WebCrypto
// backend inside workerd (the same code path the gate uses). Never deployed.
import wasmModule from '../pkg/entra_edge_auth_bg.wasm';
import { initSync, testVerifySignature } from '../pkg/entra_edge_auth.js';

initSync({ module: wasmModule });

const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

export default {
  async fetch(request) {
    const { alg, key, tests } = await request.json();
    const results = [];
    for (const t of tests) {
      const outcome = JSON.parse(await testVerifySignature(alg, key, hex(t.msg), hex(t.sig)));
      results.push({ tcId: t.tcId, ...outcome });
    }
    return Response.json(results);
  },
};
