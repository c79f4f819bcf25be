// Serves the Keymarket page: node/client-js at /client-js/, and the libraries it loads from a
// node_modules folder at /vendor/ (polkadot.js's browser bundles, umbral-pre's WebAssembly).
// Loopback only. `node serve.js <node_modules dir> [port]`, or import `serve` from a test.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLIENT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Where a request's path is on disk, or `null` outside the two folders. */
function fileOf(modules, path) {
  const roots = [
    ['/client-js/', CLIENT],
    ['/vendor/polkadot/', join(modules, '@polkadot')],
    ['/vendor/umbral-pre/', join(modules, '@nucypher/umbral-pre/pkg-bundler')],
  ];
  for (const [prefix, root] of roots) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(root, decodeURIComponent(path.slice(prefix.length))));
    return file.startsWith(root) ? file : null;
  }
  return null;
}

/** Starts the server on 127.0.0.1:`port` (0: any free port); resolves with it and its URL. */
export function serve(modules, port = 0) {
  const server = createServer(async (request, response) => {
    const file = fileOf(resolve(modules), new URL(request.url, 'http://x').pathname);
    if (request.method !== 'GET' || file === null || !TYPES[extname(file)]) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((ready) => server.listen(port, '127.0.0.1', () => {
    ready({ server, url: `http://127.0.0.1:${server.address().port}/client-js/page/index.html` });
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [modules, port] = process.argv.slice(2);
  if (!modules) {
    console.error('usage: node serve.js <node_modules dir> [port]');
    process.exit(2);
  }
  const { url } = await serve(modules, Number(port ?? 8080));
  console.log(`the page: ${url}`);
}
