// e2. As e, but no Request object: fetch(target, { method, headers, body, redirect }).
export default {
  async fetch(request, env) {
    const h = request.headers;
    const alb = h.get('x-amzn-oidc-data');
    const credential = alb ?? h.get('authorization');
    const url = new URL(request.url);
    const headers = new Headers(h);
    for (const name of [...h.keys()]) {
      if (name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-'))) headers.delete(name);
    }
    headers.set('x-auth-sub', credential ? 'user' : '');
    headers.set('x-auth-roles', 'viewer');
    headers.set('x-auth-source', alb === null ? 'cognito' : 'alb');
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: 'manual' })
      .catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
