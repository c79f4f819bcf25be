// Starts the real keymarket-node binary for a polkadot.js test: a throwaway base path, free
// loopback ports, a deadline on start-up, and a stop that always runs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The node binary: $KEYMARKET_NODE, set by scripts/test. */
export function nodeBinary() {
  const path = process.env.KEYMARKET_NODE;
  if (!path) throw new Error('set KEYMARKET_NODE to the keymarket-node binary (scripts/test does)');
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

async function rpcAnswers(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts a `--dev` node and resolves once its RPC server answers. A port picked free can be
 * taken again before the node binds it (or still be held by a node that just stopped): the
 * start is then retried with fresh ports, up to three times. `keys` ([type, scheme, secret URI]
 * each) go into its keystore before it starts (`keymarket-node key insert`, as an operator
 * does); `args` are more flags. */
export async function startDevNode({ keys = [], args = [] } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevNodeOnce(keys, args);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(e.message)) throw e;
    }
  }
}

async function startDevNodeOnce(keys, args) {
  const basePath = mkdtempSync(join(tmpdir(), 'keymarket-polkadotjs-'));
  for (const [type, scheme, suri] of keys) {
    execFileSync(nodeBinary(), [
      'key', 'insert', '--base-path', basePath, '--chain', 'dev', '--key-type', type,
      '--scheme', scheme, '--suri', suri,
    ]);
  }
  const rpcPort = await freePort();
  let p2pPort = await freePort();
  while (p2pPort === rpcPort) p2pPort = await freePort();
  const logPath = join(basePath, 'node.log');
  const log = openSync(logPath, 'a');
  const child = spawn(nodeBinary(), [
    '--dev', '--base-path', basePath, '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--no-prometheus', '--no-telemetry', '--no-mdns', ...args,
  ], { stdio: ['ignore', 'ignore', log] });

  const node = {
    url: `ws://127.0.0.1:${rpcPort}`,
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
