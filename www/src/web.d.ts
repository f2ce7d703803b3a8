// The same API as the bundler entry, plus the web target's explicit wasm loading.
export * from './index.js';
export { default, default as init, initSync } from '../pkg-web/entra_edge_auth.js';
export type { InitInput, InitOutput } from '../pkg-web/entra_edge_auth.js';
