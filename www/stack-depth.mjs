// How deep the browser wasm's shadow stack goes, on the inputs that drive it deepest, and
// whether the shipped stack holds it. The core's JSON reader and writer recurse once per
// nesting level (at most json::MAX_DEPTH, 64) and the deepest value can arrive inside an
// ID token inside a token answer, so those inputs, one level under the limit and one over,
// go through every export that reads JSON from outside, along the call paths the package
// uses (auth.js): callback → code exchange → keys → finish → session → restore, refresh,
// OBO, resources, peers, challenges.
//
//   node www/stack-depth.mjs [FILE.wasm]     (default: pkg-web's, as shipped)
//
// How: Rust's wasm32 linker puts the stack first in memory ([0, top), growing down from
// `top`, the first global's initial value), so before each call this fills [0, top) with a
// marker and afterwards finds the lowest byte the call wrote: top minus that address is the
// call's depth. A stack too small traps (the stack pointer would go below 0), which this
// reports as a failure. Exits 1 when a call traps or the deepest call uses more than half of
// the stack (the margin the shipped size is chosen with); prints the depths either way.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, webcrypto } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmFile = process.argv[2] ?? path.join(here, 'pkg-web/entra_edge_auth_bg.wasm');
const bytes = fs.readFileSync(wasmFile);
const { initSync, Core } = await import(path.join(here, 'pkg-web/entra_edge_auth.js'));
const wasm = initSync({ module: bytes });

/** The stack's top: the initial value of the first mutable i32 global (`__stack_pointer`). */
function stackTop(module) {
  let at = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = module[at++];
      result |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) return b & 0x40 && shift < 32 ? result | (-1 << shift) : result;
    }
  };
  while (at < module.length) {
    const id = module[at++];
    const size = leb();
    const end = at + size;
    if (id === 6) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const type = module[at++];
        const mutable = module[at++];
        if (module[at++] !== 0x41) throw new Error('a global whose initialiser is not i32.const');
        const value = leb();
        at++; // end
        if (type === 0x7f && mutable === 1) return value;
      }
    }
    at = end;
  }
  throw new Error('no mutable i32 global: not a Rust wasm32 module?');
}

const top = stackTop(bytes);
const MARK = 0xa5;
const results = [];

/** Runs `call` with the stack region marked; records how deep it went. */
function measure(name, call) {
  new Uint8Array(wasm.memory.buffer, 0, top).fill(MARK);
  let outcome = 'ok';
  try {
    call();
  } catch (error) {
    // A thrown JS error from the core is an answer; a trap is a failure.
    outcome = error instanceof WebAssembly.RuntimeError ? `trap: ${error.message}` : `threw ${process.env.STACK_DEBUG ? String(error?.message ?? error).slice(0, 120) : ""}`.trim();
  }
  const memory = new Uint8Array(wasm.memory.buffer, 0, top);
  let low = 0;
  while (low < top && memory[low] === MARK) low++;
  results.push({ name, depth: top - low, outcome });
  // A trap leaves the instance's stack pointer where it was: nothing after it can be measured.
  if (outcome.startsWith('trap')) report();
}

const MAX_DEPTH = 64; // crate/src/json/read.rs
const nestedObject = (levels) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const nestedArray = (levels) => '['.repeat(levels) + '1' + ']'.repeat(levels);
const b64 = (text) => Buffer.from(text).toString('base64url');
const DEEP = [
  ['objects 64', nestedObject(MAX_DEPTH)],
  ['objects 65', nestedObject(MAX_DEPTH + 1)],
  ['arrays 64', nestedArray(MAX_DEPTH)],
  ['arrays 65', nestedArray(MAX_DEPTH + 1)],
];
/** `{...fields, deep: <nested>}` nested one level less, so the whole text is at the limit. */
const withDeep = (fields, nested) => JSON.stringify(fields).slice(0, -1) + `,"deep":${nested}}`;

const TENANT = '0d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const CLIENT = '11111111-2222-4333-8444-555555555555';
const AUTHORITY = 'https://login.microsoftonline.com';
const ISSUER = `${AUTHORITY}/${TENANT}/v2.0`;
const REDIRECT = 'https://app.example.com/';
const config = {
  tenantId: TENANT,
  clientId: CLIENT,
  redirectUri: REDIRECT,
  oboEndpoint: 'https://obo.example.com/obo/exchange',
  apiOrigins: ['https://api.example.com'],
  clientCapabilities: ['CP1'],
};
const discovery = {
  issuer: ISSUER,
  authorization_endpoint: `${AUTHORITY}/${TENANT}/oauth2/v2.0/authorize`,
  token_endpoint: `${AUTHORITY}/${TENANT}/oauth2/v2.0/token`,
  end_session_endpoint: `${AUTHORITY}/${TENANT}/oauth2/v2.0/logout`,
  jwks_uri: `${AUTHORITY}/${TENANT}/discovery/v2.0/keys`,
};
const entropy = webcrypto.getRandomValues(new Uint8Array(96));
const now = Math.floor(Date.now() / 1000);
const KID = 'k1';
const { n, e } = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const jwks = { keys: [{ kty: 'RSA', kid: KID, use: 'sig', n, e }] };

const SIGNATURE = Buffer.alloc(256).toString('base64url'); // an RS256 signature's length

/** An ID token for `pending`'s nonce whose claims carry `nested` (signature not checked here:
 * `finish(true, …)` stands for WebCrypto's verdict, which does not touch the stack). */
function idToken(nonce, nested) {
  const claims = { iss: ISSUER, aud: CLIENT, tid: TENANT, oid: 'o', sub: 's', nonce, iat: now, nbf: now, exp: now + 3600, preferred_username: 'u@example.com' };
  return `${b64(JSON.stringify({ alg: 'RS256', kid: KID, typ: 'JWT' }))}.${b64(withDeep(claims, nested))}.${SIGNATURE}`;
}
const appToken = (nested) => `${b64('{"alg":"RS256","kid":"a"}')}.${b64(withDeep({ sub: 's', exp: now + 3600, roles: ['viewer'] }, nested))}.${SIGNATURE}`;

const core = new Core(JSON.stringify(config));
for (const [label, nested] of DEEP) {
  const inner = nested.slice(nested.indexOf('{') === 0 ? 5 : 1, -1); // one level less
  measure(`new Core (config, ${label})`, () => new Core(withDeep(config, inner)).free());
  measure(`readDiscovery (${label})`, () => core.readDiscovery(200, withDeep(discovery, inner)));
}
core.readDiscovery(200, JSON.stringify(discovery));

let session;
for (const [label, nested] of DEEP) {
  const inner = nested.slice(nested.indexOf('{') === 0 ? 5 : 1, -1);
  measure(`startLogin (${label} as appState)`, () => core.startLogin(`{"returnTo":"/x","appState":${inner}}`, entropy, now));
  const login = JSON.parse(core.startLogin('null', entropy, now));
  const pending = login.pending;
  const nonce = new URL(login.url).searchParams.get('nonce');
  const state = new URL(login.url).searchParams.get('state');
  const url = `${REDIRECT}?code=c&state=${state}`;
  measure(`callback (${label})`, () => core.callback(`${REDIRECT}?code=${encodeURIComponent(nested)}&state=${state}`));
  measure(`authorizationCode (${label})`, () => core.authorizationCode(url, pending, now));
  measure(`pendingIsStale (${label})`, () => core.pendingIsStale(nested, now));
  measure(`loginReturn (${label})`, () => core.loginReturn(pending));
  // In the session record the ID token's claims sit three levels down (record → account →
  // claims), so claims nested to the limit make a record the core cannot read back
  // (login_required on the next call): the ID token's value is three levels shallower.
  const claimsValue = inner.slice(nested.startsWith('{') ? 15 : 3, nested.startsWith('{') ? -3 : -3);
  const answer = withDeep({ token_type: 'Bearer', access_token: appToken(inner), id_token: idToken(nonce, claimsValue), refresh_token: 'r', expires_in: 3600, scope: 'openid profile' }, inner);
  let grant;
  measure(`readCodeExchange (${label}, in the answer and its ID token)`, () => { grant = core.readCodeExchange(200, answer, pending); });
  if (!grant) continue;
  // keyRequest asks for the set (unless an earlier round stored it), storeKeys keeps it,
  // the next keyRequest binds the key.
  measure(`storeKeys (${label})`, () => { if (core.keyRequest(grant)) core.storeKeys(grant, 200, withDeep(jwks, inner)); });
  try { core.keyRequest(grant); } catch { /* the deep set was refused: this grant ends here */ }
  let made;
  measure(`Grant.finish (${label}: the claims into the session record)`, () => { made = grant.finish(true, now, undefined); });
  grant.free();
  if (!made) continue;
  session = made;
  measure(`restore (${label})`, () => core.restore(session));
  measure(`freshAccessToken (${label})`, () => core.freshAccessToken(session, now));
  measure(`appToken (${label})`, () => core.appToken(session, now));
  measure(`peerIsNewer (${label})`, () => core.peerIsNewer(session, session));
  measure(`refreshRequest (${label})`, () => core.refreshRequest(session, nested));
  measure(`readRefresh (${label})`, () => { core.readRefresh(200, answer, session)?.free(); });
  measure(`oboRequest (${label})`, () => core.oboRequest('t', session));
  const obo = withDeep({ access_token: appToken(inner), id_token: appToken(inner), refresh_token: 'r', expires_in: 3600, stackflow_user_id: 'u', roles: ['viewer'] }, inner);
  let oboResult;
  measure(`readObo (${label})`, () => { oboResult = core.readObo(200, obo, now); });
  if (oboResult) measure(`withObo (${label})`, () => core.withObo(session, oboResult));
  measure(`scopeKey / resourceRequest / readResource (${label})`, () => {
    const scopes = JSON.stringify('https://graph.microsoft.com/User.Read');
    const key = core.scopeKey(scopes);
    core.resourceRequest(session, scopes, nested);
    core.readResource(200, withDeep({ token_type: 'Bearer', access_token: appToken(inner), expires_in: 3600, scope: 'User.Read' }, inner), session, key, now);
  });
  measure(`apiVerdict (${label})`, () => core.apiVerdict(401, `Bearer error="insufficient_claims", claims="${Buffer.from(nested).toString('base64')}"`));
  measure(`denyCode (${label})`, () => core.denyCode(undefined, nested));
  measure(`logoutUrl (${label})`, () => core.logoutUrl(session));
}

report();

function report() {
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) console.log(`${r.name.padEnd(width)}  ${String(r.depth).padStart(7)} B  ${r.outcome}`);
  const deepest = results.reduce((a, b) => (b.depth > a.depth ? b : a));
  const traps = results.filter((r) => r.outcome.startsWith('trap'));
  const reached = results.filter((r) => r.name.startsWith('Grant.finish') && r.outcome === 'ok').length;
  console.log(`\nstack ${top} B (${(top / 1024).toFixed(0)} KiB); deepest call ${deepest.depth} B (${(100 * deepest.depth / top).toFixed(1)} %): ${deepest.name}`);
  let failed = false;
  if (traps.length) { console.log(`${traps.length} call(s) trapped`); failed = true; }
  if (reached < 2) { console.log('the deep claims did not reach a session record: the inputs no longer fit the core'); failed = true; }
  if (deepest.depth * 2 > top) { console.log('the deepest call uses more than half the stack'); failed = true; }
  process.exit(failed ? 1 : 0);
}
