// Starts the real keymarket-node binary for a polkadot.js test: a throwaway base path, free
// loopback ports, a deadline on start-up, and a stop that always runs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The node binary: $KEYMARKET_NODE, set by scripts/test. */
export function nodeBinary() {
  const path = process.env.KEYMARKET_NODE;
  if (!path) throw new Error('set KEYMARKET_NODE to the keymarket-node binary (scripts/test does)');
  return path;
}

/** The raw chain spec of the built-in chain spec `chain` (`dev`, `local`) for this node binary,
 * written once next to it (again when the binary is newer), as the Rust harness's `raw_spec`
 * does: a node started from it reads its genesis storage instead of building it in the runtime
 * (a compile of the runtime's wasm at every start). */
export function rawSpec(chain) {
  const dir = join(dirname(nodeBinary()), 'keymarket-specs');
  const path = join(dir, `${chain}.json`);
  const modified = (file) => {
    try {
      return statSync(file).mtimeMs;
    } catch {
      return null;
    }
  };
  const written = modified(path);
  if (written === null || written < modified(nodeBinary())) {
    const spec = execFileSync(nodeBinary(), ['export-chain-spec', '--chain', chain, '--raw'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
    });
    mkdirSync(dir, { recursive: true });
    // Other test programs may read it meanwhile: written aside, then renamed into place.
    const aside = join(dir, `${chain}.${process.pid}.js.json`);
    writeFileSync(aside, spec);
    renameSync(aside, path);
  }
  return path;
}

/** A loopback port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One JSON-RPC call over HTTP to the node on `port`: its result. */
async function rpcCall(port, method, params = []) {
  const res = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status}`);
  return (await res.json()).result;
}

async function rpcAnswers(port) {
  try {
    await rpcCall(port, 'system_health');
    return true;
  } catch {
    return false;
  }
}

/** Starts a development node (the `dev` spec raw, //Alice authoring) and resolves once its
 * RPC server answers. A port picked free can be taken again before the node binds it (or still
 * be held by a node that just stopped): the start is then retried with fresh ports, up to three
 * times. `keys` ([type, scheme, secret URI] each) go into its keystore before it starts
 * (`keymarket-node key insert`, as an operator does); `args` are more flags. */
export async function startDevNode({ keys = [], args = [] } = {}) {
  return startNode({ keys, args });
}

/** Starts a node of `chain` (`dev`, or a chain spec's path) with its network key made first, as
 * an operator does with `key generate-node-key`, as [`startDevNode`] does;
 * the node it resolves to names its p2p `multiaddr` once asked (`await node.multiaddr()`). */
export async function startNode({ chain = 'dev', keys = [], args = [] } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodeOnce(chain, keys, args);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(e.message)) throw e;
    }
  }
}

async function startNodeOnce(chainName, keys, args) {
  const basePath = mkdtempSync(join(tmpdir(), 'keymarket-polkadotjs-'));
  // `dev` is the built-in development spec, raw, with what `--dev` implies (`implied` below).
  const dev = chainName === 'dev';
  const chain = dev ? rawSpec('dev') : chainName;
  // A validator started without `--dev` needs its network key on disk.
  execFileSync(nodeBinary(), ['key', 'generate-node-key', '--chain', chain, '--base-path', basePath], {
    stdio: 'ignore',
  });
  for (const [type, scheme, suri] of keys) {
    execFileSync(nodeBinary(), [
      'key', 'insert', '--base-path', basePath, '--chain', chain, '--key-type', type,
      '--scheme', scheme, '--suri', suri,
    ]);
  }
  const rpcPort = await freePort();
  let p2pPort = await freePort();
  while (p2pPort === rpcPort) p2pPort = await freePort();
  const logPath = join(basePath, 'node.log');
  const log = openSync(logPath, 'a');
  const implied = ['--alice', '--force-authoring', '--rpc-cors', 'all', '--tx-ban-seconds', '0'];
  const chainArgs = ['--chain', chain, ...(dev ? implied : [])];
  const child = spawn(nodeBinary(), [
    ...chainArgs, '--base-path', basePath, '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--no-prometheus', '--no-telemetry', '--no-mdns',
    // The runtime compiled once for the run's nodes (the Rust harness's folder), not at each start.
    '--wasm-cache', join(dirname(nodeBinary()), 'keymarket-wasm-cache'), ...args,
  ], { stdio: ['ignore', 'ignore', log] });

  const node = {
    url: `ws://127.0.0.1:${rpcPort}`,
    multiaddr: async () =>
      `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${await rpcCall(rpcPort, 'system_localPeerId')}`,
    log: () => readFileSync(logPath, 'utf8'),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(basePath, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 60_000;
  while (!(await rpcAnswers(rpcPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = node.log();
      await node.stop();
      throw new Error(`the node did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return node;
}
