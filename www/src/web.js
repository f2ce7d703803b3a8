// The package for plain ES modules in the browser: call `init()` once before using
// EntraAuth; it fetches entra_edge_auth_bg.wasm next to the glue (or give its URL or bytes).
import init, { Core, initSync } from '../pkg-web/entra_edge_auth.js';
import { useCore } from './auth.js';

useCore(Core);

export { EntraAuth } from './auth.js';
export { init, initSync };
export default init;
