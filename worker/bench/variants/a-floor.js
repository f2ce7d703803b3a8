// a. The current floor: new Request(target, request), then delete / set on its headers.
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
