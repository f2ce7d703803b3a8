// Test-only entry: the production worker plus one route that reports the isolate's
// counters, so tests can see token-cache hits and key fetches. Never deployed.
import worker, { gateStats } from '../src/index.js';

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__test/stats') {
      return Response.json(gateStats());
    }
    return worker.fetch(request, env, ctx);
  },
};
