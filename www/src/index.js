// The package for bundlers (Vite, webpack, Rollup): the .wasm is imported as a module, so
// there is nothing to initialise.
import { Core } from '../pkg-bundler/entra_edge_auth.js';
import { useCore } from './auth.js';

useCore(Core);

export { EntraAuth } from './auth.js';
