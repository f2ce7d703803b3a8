// Micro-benchmark worker (a script, not a test; driven by bench/micro.mjs). Runs pieces of
// the request path N times inside one workerd isolate, with `fetch` stubbed (key documents
// and a canned origin answer), so only CPU is measured. Counts JS<->wasm import calls.
// workerd freezes the clock during execution, so the driver times each POST from outside.
import wasmModule from '../pkg/entra_edge_auth_bg.wasm';
import jose from './.build/jose-worker.js';
import passthrough from './passthrough-worker.js';
import floor from './headers-worker.js';

// Count calls to every wasm-bindgen import (each is one wasm -> JS crossing).
const crossings = new Map();
const OriginalInstance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  for (const [key, original] of Object.entries(imports)) {
    // An inline_js snippet may be imported directly, as its (read-only) module namespace.
    const ns = imports[key] = { ...original };
    for (const [name, fn] of Object.entries(ns)) {
      if (typeof fn !== 'function') continue;
      const short = name.replace(/^__wbg_/, '').replace(/_[0-9a-f]{16}$/, '');
      ns[name] = function (...args) {
        crossings.set(short, (crossings.get(short) ?? 0) + 1);
        return fn.apply(this, args);
      };
    }
  }
  return new OriginalInstance(module, imports);
};
const { initSync, EdgeGate } = await import('../pkg/entra_edge_auth.js');
initSync({ module: wasmModule });
WebAssembly.Instance = OriginalInstance;

let state = null;
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url;
  if (state && url.startsWith(state.env.ALB_KEYS_URL)) return new Response(state.albPem);
  if (state && url === state.env.COGNITO_JWKS_URL) return Response.json(state.jwks);
  return new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
};

const ctx = { waitUntil() {}, passThroughOnException() {} };
const req = (token, header) => new Request('https://edge.example/itsm/tickets?x=1', {
  headers: { [header]: header === 'authorization' ? `Bearer ${token}` : token, 'user-agent': 'bench', accept: '*/*', 'x-auth-roles': 'super_admin' },
});

const SAMPLE_LINE = '{"detail":null,"error":null,"gate_ms":0,"method":"GET","outcome":"allow","path":"/itsm/tickets","request_id":"42451846d710-0","rule":2,"rule_path":"/itsm","source":"alb","status":null,"sub":"a592be2ab932ee5ba218921f8af17c1d","time":1796281966152,"token_cache_hit":true}';
const batchLines = [];
const cases = {
  async empty() {},
  async passthrough(i, s) { await passthrough.fetch(req(s.tokens[i % s.tokens.length], s.header), s.env, ctx); },
  // The headers-only floor (bench/headers-worker.js): what a cache hit cannot cost less than.
  async floor(i, s) { await floor.fetch(req(s.tokens[i % s.tokens.length], s.header), s.env, ctx); },
  async jose(i, s) { await jose.fetch(req(s.tokens[i % s.tokens.length], s.header), s.env, ctx); },
  async ours(i, s) { await s.gate.handle(req(s.tokens[i % s.tokens.length], s.header), ctx); },
  // The same gate with allows not logged, and with subjects logged in clear (no hash): what
  // the decision log's line costs, and how much of it the subject's hash is.
  async ours_unlogged(i, s) { await s.unlogged.handle(req(s.tokens[i % s.tokens.length], s.header), ctx); },
  async ours_plain(i, s) { await s.plain.handle(req(s.tokens[i % s.tokens.length], s.header), ctx); },
  // LOG_BATCH_LINES=64: allow lines written 64 per console.log.
  async ours_batched(i, s) { await s.batched.handle(req(s.tokens[i % s.tokens.length], s.header), ctx); },
  // console.log alone: one decision-log-sized line per op, or 64 of them joined every 64th op.
  async log_line(i) { console.log(SAMPLE_LINE.replace('-0"', `-${i}"`)); },
  async log_batch(i) { batchLines.push(SAMPLE_LINE.replace('-0"', `-${i}"`)); if (batchLines.length === 64) { console.log(batchLines.join('\n')); batchLines.length = 0; } },
  async ours_public(i, s) { await s.gate.handle(new Request('https://edge.example/health', { headers: { 'user-agent': 'bench' } }), ctx); },
  async subtle_verify(i, s) {
    const t = s.tokens[i % s.tokens.length];
    const dot = t.lastIndexOf('.');
    const sig = Uint8Array.from(atob(t.slice(dot + 1).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    await crypto.subtle.verify(s.verifyAlg, s.cryptoKey, sig, new TextEncoder().encode(t.slice(0, dot)));
  },
  async new_request(i, s) {
    const r = req(s.tokens[i % s.tokens.length], s.header);
    const out = new Request('https://origin.example/itsm/tickets?x=1', r);
    out.headers.delete('x-auth-roles');
    out.headers.set('x-auth-sub', 'u');
    await fetch(out);
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/setup') {
      const body = await request.json();
      const gate = new EdgeGate(body.env);
      const unlogged = new EdgeGate({ ...body.env, LOG_ALLOW_SAMPLE: '0' });
      const plain = new EdgeGate({ ...body.env, LOG_SUBJECT: 'plain' });
      const batched = new EdgeGate({ ...body.env, LOG_BATCH_LINES: '64' });
      let cryptoKey, verifyAlg;
      if (body.header === 'authorization') {
        verifyAlg = { name: 'RSASSA-PKCS1-v1_5' };
        cryptoKey = await crypto.subtle.importKey('jwk', body.jwks.keys[0], { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
      } else {
        verifyAlg = { name: 'ECDSA', hash: 'SHA-256' };
        const der = Uint8Array.from(atob(body.albPem.replace(/-----[^-]+-----|\s/g, '')), (c) => c.charCodeAt(0));
        cryptoKey = await crypto.subtle.importKey('spki', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
      }
      state = { ...body, gate, unlogged, plain, batched, cryptoKey, verifyAlg };
      // Warm every case once (keys fetched, CryptoKeys imported).
      for (const c of Object.keys(cases)) await cases[c](0, state);
      return new Response('ok');
    }
    if (url.pathname === '/run') {
      const name = url.searchParams.get('case');
      const n = Number(url.searchParams.get('n'));
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const repeat = Number(url.searchParams.get('repeat') ?? 1);
      crossings.clear();
      for (let i = 0; i < n; i++) await cases[name](offset + Math.floor(i / repeat), state);
      return Response.json(Object.fromEntries([...crossings].sort((a, b) => b[1] - a[1])));
    }
    return realFetch(request);
  },
};
