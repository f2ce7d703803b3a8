// In-isolate timing of each variant's request building (what differs between them): the
// Request that fetch() would send, built N times per POST; fetch itself is not called (it
// then serializes that Request the same way for all). Driven by micro.mjs.
const ORIGIN = 'http://127.0.0.1:9/';
const drop = (alb, name) => name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-'));
const target = (request) => { const url = new URL(request.url); return ORIGIN.slice(0, -1) + url.pathname + url.search; };

const variants = {
  // Pass-through: fetch(target, request) builds new Request(target, request).
  pass(request) { return new Request(target(request), request); },
  a_floor(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const out = new Request(target(request), request);
    for (const name of [...h.keys()]) if (drop(alb, name)) out.headers.delete(name);
    out.headers.set('x-auth-sub', credential ? 'user' : ''); out.headers.set('x-auth-roles', 'viewer'); out.headers.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  b_array(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const headers = [];
    for (const pair of h) if (!drop(alb, pair[0])) headers.push(pair);
    headers.push(['x-auth-sub', credential ? 'user' : ''], ['x-auth-roles', 'viewer'], ['x-auth-source', alb === null ? 'cognito' : 'alb']);
    return new Request(target(request), { method: request.method, headers, body: request.body, redirect: 'manual' });
  },
  c_headers(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const list = [];
    for (const pair of h) if (!drop(alb, pair[0])) list.push(pair);
    list.push(['x-auth-sub', credential ? 'user' : ''], ['x-auth-roles', 'viewer'], ['x-auth-source', alb === null ? 'cognito' : 'alb']);
    return new Request(target(request), { method: request.method, headers: new Headers(list), body: request.body, redirect: 'manual' });
  },
  d_object(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const headers = {};
    for (const [name, value] of h) if (!drop(alb, name)) headers[name] = value;
    headers['x-auth-sub'] = credential ? 'user' : ''; headers['x-auth-roles'] = 'viewer'; headers['x-auth-source'] = alb === null ? 'cognito' : 'alb';
    return new Request(target(request), { method: request.method, headers, body: request.body, redirect: 'manual' });
  },
  e_headers_copy(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const headers = new Headers(h);
    for (const name of [...h.keys()]) if (drop(alb, name)) headers.delete(name);
    headers.set('x-auth-sub', credential ? 'user' : ''); headers.set('x-auth-roles', 'viewer'); headers.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return new Request(target(request), { method: request.method, headers, body: request.body, redirect: 'manual' });
  },
  f_slice(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const u = request.url;
    const out = new Request(ORIGIN.slice(0, -1) + u.slice(u.indexOf('/', u.indexOf('//') + 2)), request);
    for (const name of [...h.keys()]) if (drop(alb, name)) out.headers.delete(name);
    out.headers.set('x-auth-sub', credential ? 'user' : ''); out.headers.set('x-auth-roles', 'viewer'); out.headers.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  g_append(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const out = new Request(target(request), request); const oh = out.headers;
    for (const name of [...h.keys()]) if (drop(alb, name)) oh.delete(name);
    oh.append('x-auth-sub', credential ? 'user' : ''); oh.append('x-auth-roles', 'viewer'); oh.append('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  // g2: a, with the out.headers getter read once (each read is a C++ call returning a new ref).
  g2_headers_once(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const out = new Request(target(request), request); const oh = out.headers;
    for (const name of [...h.keys()]) if (drop(alb, name)) oh.delete(name);
    oh.set('x-auth-sub', credential ? 'user' : ''); oh.set('x-auth-roles', 'viewer'); oh.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  // g3: no iteration of names: delete the known names only (NOT a correct forward: an
  // unknown x-auth-* name would pass; shows what the iteration costs).
  g3_no_iteration(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const out = new Request(target(request), request); const oh = out.headers;
    oh.delete('host');
    oh.set('x-auth-sub', credential ? 'user' : ''); oh.set('x-auth-roles', 'viewer'); oh.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  // g4: a, iterating h.keys() directly (no array spread).
  g4_keys_iter(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const out = new Request(target(request), request); const oh = out.headers;
    for (const name of h.keys()) if (drop(alb, name)) oh.delete(name);
    oh.set('x-auth-sub', credential ? 'user' : ''); oh.set('x-auth-roles', 'viewer'); oh.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  // g5: a, names through h.forEach.
  g5_foreach(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const out = new Request(target(request), request); const oh = out.headers;
    h.forEach((_, name) => { if (drop(alb, name)) oh.delete(name); });
    oh.set('x-auth-sub', credential ? 'user' : ''); oh.set('x-auth-roles', 'viewer'); oh.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return out;
  },
  // keys_only: just [...h.keys()] (what the name listing costs).
  keys_only(request) { return { headers: [...request.headers.keys()] }; },
  entries_only(request) { return { headers: [...request.headers] }; },
  // read_head as shipped (crate/src/wasm/worker/head.rs), and its pieces.
  rh_shipped(request) {
    const h = request.headers;
    return { headers: encoder.encode([request.url, request.method, [...h.keys()].join(','), h.get('x-amzn-oidc-data') ?? '\0', h.get('authorization') ?? '\0'].join('\n')) };
  },
  rh_string_only(request) {
    const h = request.headers;
    return { headers: [request.url, request.method, [...h.keys()].join(','), h.get('x-amzn-oidc-data') ?? '\0', h.get('authorization') ?? '\0'].join('\n') };
  },
  rh_encode_into(request) {
    const h = request.headers;
    const s = [request.url, request.method, [...h.keys()].join(','), h.get('x-amzn-oidc-data') ?? '\0', h.get('authorization') ?? '\0'].join('\n');
    return { headers: encoder.encodeInto(s, scratch).written };
  },
  rh_gets_only(request) { const h = request.headers; return { headers: [request.url, h.get('x-amzn-oidc-data'), h.get('authorization')] }; },
  // ours: the current inline JS of forward.rs, with the drop list and values already packed.
  ours_inline(request) {
    const h = request.headers; const alb = h.get('x-amzn-oidc-data'); const credential = alb ?? h.get('authorization');
    const names = [...h.keys()].join(',');
    const dropList = names.split(',').filter((n) => drop(alb, n)).join(',');
    const packed = [target(request), dropList, credential ? 'user' : '', 'viewer', alb === null ? 'cognito' : 'alb'].join('\n');
    const [t, d, sub, roles, source] = packed.split('\n');
    const out = new Request(t, request); const oh = out.headers;
    if (d) for (const name of d.split(',')) oh.delete(name);
    const values = [sub, roles, source]; const hn = ['x-auth-sub', 'x-auth-roles', 'x-auth-source'];
    for (let i = 0; i < 3; i++) { try { oh.set(hn[i], values[i]); } catch { throw i; } }
    return out;
  },
};

let sink = 0;
const encoder = new TextEncoder();
const scratch = new Uint8Array(new WebAssembly.Memory({ initial: 2 }).buffer, 4096, 40000);
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const name = url.searchParams.get('v');
    const n = Number(url.searchParams.get('n'));
    const fields = await request.json();
    // Requests like the ones workerd hands a worker: header names lower-cased, immutable.
    const incoming = new Request(`https://edge.example/itsm/tickets?page=2`, { headers: { host: 'edge.example', ...fields } });
    const f = variants[name];
    if (name === 'empty') return new Response('ok');
    for (let i = 0; i < n; i++) sink += f(incoming).headers ? 1 : 0;
    return new Response(String(sink));
  },
};
export const NAMES = Object.keys(variants);
