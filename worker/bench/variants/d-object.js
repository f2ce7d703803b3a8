// d. As b, with the headers in a plain object.
export default {
  async fetch(request, env) {
    const h = request.headers;
    const alb = h.get('x-amzn-oidc-data');
    const credential = alb ?? h.get('authorization');
    const url = new URL(request.url);
    const headers = {};
    for (const [name, value] of h) {
      if (!(name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-')))) headers[name] = value;
    }
    headers['x-auth-sub'] = credential ? 'user' : '';
    headers['x-auth-roles'] = 'viewer';
    headers['x-auth-source'] = alb === null ? 'cognito' : 'alb';
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: 'manual' })
      .catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
