// Faults under load (a script, not a test): the worker under workerd (Miniflare) takes a
// steady mix of valid, expired, tampered and unknown-kid tokens for at least 60 s while the
// key servers rotate keys, answer 500, hang, and recover. Every answer is checked against
// the decision that request must get, and the origin's log is checked for requests that
// should never have reached it. Prints throughput and p99 per phase; exits 1 on any wrong
// decision, any forwarded request that should have been denied, or any worker error.
//
// Loopback only; bounded in time (PHASE_SECONDS per phase, 5 phases).
import autocannon from 'autocannon';
import {
  startStack, mintAlb, mintCognito, cognitoClaims, now,
} from '../test/helpers.mjs';

const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 12);
const CONNECTIONS = Number(process.env.FAULT_CONNECTIONS ?? 8);
const POOL = 400; // tokens per kind and key generation

const stack = await startStack({
  script: 'test/harness-worker.js',
  bindings: { KEY_FETCH_TIMEOUT_MS: '500' },
});

// Which answers are right for each kind of token. A valid token may also be denied when
// its key cannot be had (a new kid while the key server is down): that is fail-closed,
// not wrong. Nothing but a valid token may ever be forwarded.
const KEY_UNAVAILABLE = new Set(['key_fetch_failed', 'unknown_kid', 'malformed_key']);
const EXPECT = {
  valid: { allow: true, deny: KEY_UNAVAILABLE },
  expired: { allow: false, deny: new Set(['token_expired', ...KEY_UNAVAILABLE]) },
  tampered: { allow: false, deny: new Set(['bad_signature', ...KEY_UNAVAILABLE]) },
  unknown_kid: { allow: false, deny: KEY_UNAVAILABLE },
};

async function generation() {
  const alb = await stack.addAlbSigner();
  const cog = await stack.addCognitoSigner();
  const tokens = { valid: [], expired: [], tampered: [], unknown_kid: [] };
  const exp = now() + 3600;
  for (let i = 0; i < POOL; i++) {
    const sub = `user-${i}-${alb.kid.slice(0, 4)}`;
    const groups = ['SG-StackFlow-ReadOnly'];
    tokens.valid.push(['alb', await mintAlb(alb, { padded: i % 2 === 0, claims: { sub, groups } })]);
    tokens.valid.push(['cognito', await mintCognito(cog, cognitoClaims(stack.issuer, 'access', { sub }))]);
    tokens.expired.push(['alb', await mintAlb(alb, { header: { exp: now() - 600 }, claims: { sub, exp: now() - 600 } })]);
    tokens.expired.push(['cognito', await mintCognito(cog, cognitoClaims(stack.issuer, 'access', { sub, exp: now() - 600 }))]);
    const good = await mintAlb(alb, { claims: { sub, groups, exp } });
    const [h, , s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'mallory', exp, groups: ['SG-StackFlow-Admins'] })).toString('base64url');
    tokens.tampered.push(['alb', `${h}.${forged}.${s}`]);
    const cgood = await mintCognito(cog, cognitoClaims(stack.issuer, 'access', { sub }));
    const [ch, , cs] = cgood.split('.');
    const cforged = Buffer.from(JSON.stringify(cognitoClaims(stack.issuer, 'access', { sub: 'mallory', 'cognito:groups': ['super_admin'] }))).toString('base64url');
    tokens.tampered.push(['cognito', `${ch}.${cforged}.${cs}`]);
    // Kids nobody publishes: random UUIDs (ALB) and random names (Cognito).
    const ghost = { ...alb, kid: crypto.randomUUID() };
    tokens.unknown_kid.push(['alb', await mintAlb(ghost, { claims: { sub } })]);
    tokens.unknown_kid.push(['cognito', await mintCognito({ ...cog, kid: `ghost-${i}` }, cognitoClaims(stack.issuer, 'access', { sub }))]);
  }
  return tokens;
}

const totals = { requests: 0, wrong: 0, leaked: 0, workerErrors: 0 };
const rows = [];
let reqId = 0;
const expected = new Map(); // request id → kind

async function phase(name, tokens, setup) {
  await setup?.();
  const kinds = Object.keys(tokens);
  const counts = { allowed: 0, denied: 0, wrong: 0, errors: 0 };
  const wrongSamples = [];
  let pick = 0;
  const result = await autocannon({
    url: `${stack.base}/itsm/tickets`,
    connections: CONNECTIONS,
    duration: PHASE_SECONDS,
    timeout: 10,
    requests: [{
      setupRequest(req, context) {
        const kind = kinds[pick % kinds.length];
        const list = tokens[kind];
        const [source, token] = list[Math.floor(pick / kinds.length) % list.length];
        pick++;
        const id = `r${++reqId}`;
        expected.set(id, kind);
        context.kind = kind;
        const headers = { ...req.headers, 'x-request-id': id };
        if (source === 'alb') headers['x-amzn-oidc-data'] = token;
        else headers.authorization = `Bearer ${token}`;
        return { ...req, headers };
      },
      onResponse(status, body, context) {
        const rule = EXPECT[context.kind];
        if (status === 200) {
          counts.allowed++;
          if (!rule.allow) { counts.wrong++; wrongSamples.push(`${context.kind} allowed`); }
          return;
        }
        counts.denied++;
        let code = 'unparsed';
        try { code = JSON.parse(body).error; } catch { /* counted below */ }
        if (status >= 500 && !KEY_UNAVAILABLE.has(code)) counts.errors++;
        if (!rule.deny.has(code)) { counts.wrong++; wrongSamples.push(`${context.kind} → ${status} ${code}`); }
      },
    }],
  });
  rows.push({ name, rps: result.requests.average, p99: result.latency.p99, ...counts, timeouts: result.timeouts });
  totals.requests += counts.allowed + counts.denied;
  totals.wrong += counts.wrong;
  totals.workerErrors += counts.errors + result.timeouts;
  if (wrongSamples.length) console.error(`[faults] ${name}: wrong decisions, e.g.`, wrongSamples.slice(0, 5));
}

try {
  const first = await generation();
  await phase('steady (keys served)', first);
  const second = await generation(); // rotation: new ALB kid, new JWKS key beside the old
  const mixed = Object.fromEntries(Object.keys(first).map((k) => [k, [...first[k], ...second[k]]]));
  await phase('rotation (new kids appear)', mixed);
  const third = await generation(); // keys the worker has never seen, while the servers fail
  const outage = Object.fromEntries(Object.keys(first).map((k) => [k, [...first[k], ...third[k]]]));
  await phase('key servers answer 500', outage, () => { stack.modes.alb = '500'; stack.modes.cognito = '500'; });
  await phase('key servers hang', outage, () => { stack.modes.alb = 'hang'; stack.modes.cognito = 'hang'; });
  await phase('recovered', outage, () => { stack.modes.alb = 'ok'; stack.modes.cognito = 'ok'; });

  // The origin's own log: every request it saw must have been a valid one.
  for (const record of stack.origin.requests) {
    const kind = expected.get(record.headers['x-request-id']);
    if (kind !== 'valid') totals.leaked++;
    if (record.headers['x-auth-roles']?.includes('super_admin')) totals.leaked++;
  }
} finally {
  await stack.close();
}

const fmt = (n, d = 0) => Number(n).toFixed(d);
console.log(`\n${CONNECTIONS} connections, ${PHASE_SECONDS} s per phase, worker under workerd (Miniflare), 127.0.0.1\n`);
console.log('| phase | req/s | p99 ms | allowed | denied | wrong decisions | worker errors |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p99)} | ${r.allowed} | ${r.denied} | ${r.wrong} | ${r.errors + r.timeouts} |`);
}
console.log(`\n${totals.requests} requests; wrong decisions: ${totals.wrong}; forwarded that should have been denied: ${totals.leaked}; worker errors: ${totals.workerErrors}`);
process.exit(totals.wrong || totals.leaked || totals.workerErrors ? 1 : 0);
