// The operator's walk-through of docs/operators.md, step by step, against a running network:
// the three validators of the `staging` preset (exported with `export-chain-spec`, its
// durations swapped for a dev chain's so that a session lasts a minute, made raw with
// `export-chain-spec --raw`), then //Dave from zero
// with only the node's CLI and polkadot.js: a node with its network key, a fresh keystore and
// the Ursula's keys, tokens, stake, a bonded and registered worker, session keys made by his
// own node (`author_rotateKeysWithOwner`) and set with their proof, an offer to validate.
// Dave's node then authors blocks and votes: with Charlie stopped, finality goes on only
// because Dave votes. Last he retires and the set is the genesis one again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { KEY, nextCommitment, send } from './chain.js';
import { freePort, nodeBinary, startNode } from './node.js';

let dir;
let spec;
const nodes = {};
let api;
let daveRpc;
let bootnodes;

/** `export-chain-spec --chain <name>`, parsed. */
function exported(chain) {
  const json = execFileSync(nodeBinary(), ['export-chain-spec', '--chain', chain], {
    maxBuffer: 64 << 20,
  });
  return JSON.parse(json);
}

before(async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), 'keymarket-operator-'));
  const staging = exported('staging');
  const patch = staging.genesis.runtimeGenesis.patch;
  patch.staking.durations = exported('dev').genesis.runtimeGenesis.patch.staking.durations;
  const plain = join(dir, 'staging.json');
  writeFileSync(plain, JSON.stringify(staging));
  // Raw, as a network's operators are given it: each node reads its genesis storage instead of
  // building it in the runtime at its start.
  spec = join(dir, 'staging-raw.json');
  writeFileSync(spec, execFileSync(nodeBinary(), ['export-chain-spec', '--chain', plain, '--raw'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  }));
  // A live chain's nodes ignore private addresses unless told: here every node is on loopback.
  const local = ['--allow-private-ip'];
  nodes.alice = await startNode({ chain: spec, args: ['--alice', ...local] });
  const boot = await nodes.alice.multiaddr();
  nodes.bob = await startNode({ chain: spec, args: ['--bob', '--bootnodes', boot, ...local] });
  const bobAddress = await nodes.bob.multiaddr();
  nodes.charlie = await startNode({ chain: spec, args: ['--charlie', '--bootnodes', boot, bobAddress, ...local] });
  // What a chain spec's `bootNodes` would list for a newcomer.
  bootnodes = [boot, bobAddress, await nodes.charlie.multiaddr()];
  api = await ApiPromise.create({ provider: new WsProvider(nodes.alice.url), noInitWarn: true });
});

after(async () => {
  await api?.disconnect();
  await daveRpc?.disconnect();
  for (const node of Object.values(nodes)) await node.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Polls `probe` every two seconds until it returns something truthy, within `seconds`. */
async function until(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const tail = (node) => node?.log().split('\n').slice(-15).join('\n');
      throw new Error(`${what} within ${seconds} s\n--- alice ---\n${tail(nodes.alice)}\n--- dave ---\n${tail(nodes.dave)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Notes a step of the walk-through in the test's output, with the time. */
const step = (what) => console.log(`${new Date().toISOString()} ${what}`);

/** The session's validators, as a sorted list of addresses. */
const validators = async () => (await api.query.session.validators()).map((v) => v.toString()).sort();

test('a new operator joins the validators and the Ursulas of a running staging network, then leaves', { timeout: 900_000 }, async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const dave = keyring.addFromUri('//Dave');
  const worker = keyring.addFromUri('//Dave//ursula');
  const bob = keyring.addFromUri('//Bob');
  const genesisSet = [alice.address, bob.address, keyring.addFromUri('//Charlie').address].sort();
  assert.deepEqual(await validators(), genesisSet);

  step('1. His node: a validator with an empty keystore but for the Ursula\'s two keys.');
  const port = await freePort();
  nodes.dave = await startNode({
    chain: spec,
    keys: [['ursw', 'sr25519', '//Dave//ursula'], ['umbr', 'ecdsa', '//Dave//ursula//umbral']],
    args: ['--validator', '--name', 'dave', '--bootnodes', ...bootnodes, '--allow-private-ip',
      '--ursula-listen', `127.0.0.1:${port}`],
  });
  daveRpc = new WsProvider(nodes.dave.url);
  await daveRpc.isReady;
  await until('Dave\'s node syncs with three peers', 60, async () => {
    const health = await daveRpc.send('system_health', []);
    return health.peers >= 3 && !health.isSyncing;
  });

  step('2. Tokens (staging endows only its validators), stake, the worker bonded and registered.');
  const minStake = api.consts.validators.minValidatorStake.toBigInt();
  assert.equal((await send(api.tx.balances.transferKeepAlive(dave.address, minStake + 1_000n * KEY), alice)).dispatchError, undefined);
  assert.equal((await send(api.tx.balances.transferKeepAlive(worker.address, 10n * KEY), alice)).dispatchError, undefined);
  assert.equal((await send(api.tx.staking.stake(minStake, 120), dave)).dispatchError, undefined);
  assert.equal((await send(api.tx.staking.bondWorker(worker.address), dave)).dispatchError, undefined);
  const printed = await until('Dave\'s node prints its registration', 30, () =>
    /register this Ursula: staking\.registerWorker\("([^"]+)", (0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+)\)/
      .exec(nodes.dave.log()));
  assert.equal((await send(api.tx.staking.registerWorker(...printed.slice(1)), worker)).dispatchError, undefined);
  await nextCommitment(api, worker, 120);

  step('3. Session keys made by his own node, bound to his account by their proof, then the offer.');
  const generated = await daveRpc.send('author_rotateKeysWithOwner', [u8aToHex(dave.publicKey)]);
  assert.ok(generated.proof, 'the runtime proves ownership of the keys');
  // Bob cannot take Dave's keys with his proof: it names Dave.
  const stolen = await send(api.tx.session.setKeys(generated.keys, generated.proof), bob);
  assert.equal(api.registry.findMetaError(stolen.dispatchError.asModule).name, 'InvalidProof');
  assert.equal((await send(api.tx.session.setKeys(generated.keys, generated.proof), dave)).dispatchError, undefined);
  const offered = await send(api.tx.validators.offer(), dave);
  assert.equal(offered.dispatchError, undefined);
  assert.ok(offered.events.some(({ event }) => api.events.validators.CandidateOffered.is(event)));

  step('4. Chosen at the next session, validating from the one after: he authors blocks.');
  await until('Dave is a validator', 240, async () => (await validators()).includes(dave.address));
  const authored = await until('Dave authors a block', 120, async () => {
    const header = await api.derive.chain.getHeader(await api.rpc.chain.getBlockHash());
    return header.author?.toString() === dave.address && header.number.toNumber();
  });

  step('5. He votes: with Charlie stopped, 3 of 4 voters finalize only if Dave is one of them.');
  await until('his block is final', 60, async () =>
    (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= authored);
  await nodes.charlie.stop();
  delete nodes.charlie;
  const finalized = async () => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  const before = await finalized();
  await until('finality goes on without Charlie', 90, async () => (await finalized()) >= before + 3);

  step('6. He retires: not chosen at the next session, out in the one after.');
  const retired = await send(api.tx.validators.retire(), dave);
  assert.ok(retired.events.some(({ event }) => api.events.validators.CandidateRetired.is(event)));
  await until('the set is the genesis one again', 240, async () =>
    JSON.stringify(await validators()) === JSON.stringify(genesisSet));
});
