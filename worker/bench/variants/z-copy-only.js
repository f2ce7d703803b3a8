// z. Not a correct forward: new Request(target, request) and fetch, no header work at all
// (what the copy itself costs next to pass-through's fetch(target, request)).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.ORIGIN_URL + url.pathname + url.search, request))
      .catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
