// b. fetch(target, { method, headers: [[name, value], ...], body, redirect: 'manual' }): the
// kept client headers and the three new ones in one array.
export default {
  async fetch(request, env) {
    const h = request.headers;
    const alb = h.get('x-amzn-oidc-data');
    const credential = alb ?? h.get('authorization');
    const url = new URL(request.url);
    const headers = [];
    for (const pair of h) {
      const name = pair[0];
      if (!(name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-')))) headers.push(pair);
    }
    headers.push(['x-auth-sub', credential ? 'user' : ''], ['x-auth-roles', 'viewer'], ['x-auth-source', alb === null ? 'cognito' : 'alb']);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: 'manual' })
      .catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
