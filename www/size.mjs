// The package's size for a typical app's import: one entry that imports EntraAuth from the
// package's web entry (src/web.js: the JS class, its WebCrypto step and the wasm-bindgen
// glue) and constructs it, calls handleRedirect / login / accessToken / exchangeObo,
// bundled and minified with esbuild, plus the .wasm after wasm-opt -Oz; each gzip -9.
// `node size.mjs` after `bash build.sh`; `node size.mjs FILE.wasm` measures another wasm
// with the same JS (www/size-floor.sh does).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entra-edge-auth-size-'));
const entry = path.join(dir, 'app.js');
fs.writeFileSync(entry, `
import init, { EntraAuth } from ${JSON.stringify(path.join(here, 'src/web.js'))};
await init();
const auth = new EntraAuth({ tenantId: 'x', clientId: 'y', redirectUri: location.origin + '/' });
const account = await auth.handleRedirect();
if (!account) auth.login();
else console.log(await auth.accessToken(), await auth.exchangeObo());
`);
const bundle = path.join(dir, 'app.min.js');
execFileSync(path.join(here, 'node_modules/.bin/esbuild'), [entry, '--bundle', '--minify', '--format=esm', '--target=es2022', `--outfile=${bundle}`, '--log-level=error']);

const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const js = fs.readFileSync(bundle);
const wasm = fs.readFileSync(process.argv[2] ?? path.join(here, 'pkg-web/entra_edge_auth_bg.wasm'));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [
  ['JS (class + glue, min)', js.length, gz(js)],
  ['wasm (wasm-opt -Oz)', wasm.length, gz(wasm)],
];
rows.push(['total', rows[0][1] + rows[1][1], rows[0][2] + rows[1][2]]);
for (const [name, raw, zipped] of rows) console.log(`${name.padEnd(22)} ${kb(raw).padStart(10)} raw  ${kb(zipped).padStart(9)} gzip -9`);
fs.rmSync(dir, { recursive: true, force: true });
