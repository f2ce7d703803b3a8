// A second baseline (BENCH_FLOOR=1): pass-through plus only the header work the issue asks of
// every forwarded request, with no verification and no policy: read the credential headers,
// drop the client's identity headers (and host) the way ours does (names read once), add
// x-auth-sub, x-auth-roles and x-auth-source (fixed values), and answer a failed origin fetch
// itself. Ours on a verified-token cache hit cannot cost less than this.
export default {
  async fetch(request, env) {
    const h = request.headers;
    const alb = h.get('x-amzn-oidc-data');
    const credential = alb ?? h.get('authorization');
    const url = new URL(request.url);
    const out = new Request(env.ORIGIN_URL + url.pathname + url.search, request);
    for (const name of [...h.keys()]) {
      if (name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-'))) {
        out.headers.delete(name);
      }
    }
    out.headers.set('x-auth-sub', credential ? 'user' : '');
    out.headers.set('x-auth-roles', 'viewer');
    out.headers.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return fetch(out).catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
