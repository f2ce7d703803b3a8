// c. As b, with the array made into a Headers object first.
export default {
  async fetch(request, env) {
    const h = request.headers;
    const alb = h.get('x-amzn-oidc-data');
    const credential = alb ?? h.get('authorization');
    const url = new URL(request.url);
    const list = [];
    for (const pair of h) {
      const name = pair[0];
      if (!(name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-')))) list.push(pair);
    }
    list.push(['x-auth-sub', credential ? 'user' : ''], ['x-auth-roles', 'viewer'], ['x-auth-source', alb === null ? 'cognito' : 'alb']);
    const headers = new Headers(list);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: 'manual' })
      .catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
