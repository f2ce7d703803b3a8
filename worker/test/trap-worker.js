// Test-only entry: the production worker, plus a way to make the gate throw from inside the
// wasm. A request carrying `x-test-trap` is handed over as a Proxy whose `url` cannot be
// read: the gate's first read of the request (head.rs, `read_head`) throws, the exception
// unwinds through the wasm frames exactly as a trap does, and reaches the entry's `catch`.
// Production never builds such a request: only this entry (never deployed) does, so the
// wasm and src/index.js are the production ones, unchanged.
import worker from '../src/index.js';

function unreadable(request) {
  return new Proxy(request, {
    get(target, name) {
      if (name === 'url') throw new Error('test trap: the request URL cannot be read');
      const value = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const trap = request.headers.has('x-test-trap');
    return worker.fetch(trap ? unreadable(request) : request, env, ctx);
  },
};
