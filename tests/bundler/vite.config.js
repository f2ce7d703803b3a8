// The package README's Vite configuration: the bundler entry imports its .wasm as an ES
// module, which Vite builds with vite-plugin-wasm. Served under /app/ by the local stack.
import wasm from 'vite-plugin-wasm';

export default {
  base: '/app/',
  plugins: [wasm()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  logLevel: 'warn',
};
