// Builds one of the two comparison apps: APP=ours or APP=msal (bench.mjs sets it), each
// served by the bench under /compare/<app>/ (a redirect URI the local provider registers
// for it). Same Vite, same target and minifier for both.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wasm from 'vite-plugin-wasm';

const app = process.env.APP;
if (!['ours', 'msal'].includes(app)) throw new Error('APP must be ours or msal');
const here = path.dirname(fileURLToPath(import.meta.url));

export default {
  root: path.join(here, 'apps', app),
  base: `/compare/${app}/`,
  plugins: app === 'ours' ? [wasm()] : [],
  build: { target: 'es2022', outDir: path.join(here, 'dist', app), emptyOutDir: true },
  logLevel: 'warn',
};
