// Staking end to end on a real dev node, driven by polkadot.js: //Alice stakes and bonds //Ferdie
// as her worker, the node's keystore holds Ferdie's worker key, and from then on the node's
// off-chain worker commits for Ferdie every period without a manual step, fee-less, and
// inflation rewards reach Alice. The keymarket_* RPC methods show it all.
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { KEY, nextCommitment, registration, send, waitForEvents } from './chain.js';
import { startDevNode } from './node.js';

let node;
let api;
let provider;
let alice;
let ferdie;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true });
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  ferdie = keyring.addFromUri('//Ferdie');
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

/** Calls a keymarket_* RPC method; resolves with its result or rejects with its error. */
async function rpc(method, params) {
  return provider.send(method, params);
}

test('bad stakes are refused with precise errors', async () => {
  const tooSmall = await send(api.tx.staking.stake(1n * KEY, 120), alice);
  const err = api.registry.findMetaError(tooSmall.dispatchError.asModule);
  assert.equal(`${err.section}.${err.name}`, 'staking.StakeBelowMinimum');

  const tooShort = await send(api.tx.staking.stake(2_000n * KEY, 1), alice);
  const err2 = api.registry.findMetaError(tooShort.dispatchError.asModule);
  assert.equal(`${err2.section}.${err2.name}`, 'staking.LockTooShort');

  assert.equal(await rpc('keymarket_staker', [alice.address]), null);
});

test('Alice stakes, bonds a worker, and the node commits for it until rewards arrive', async () => {
  // The operator puts the worker key into the node's keystore (as `key insert` would).
  await api.rpc.author.insertKey('ursw', '//Ferdie', u8aToHex(ferdie.publicKey));

  const staked = await send(api.tx.staking.stake(2_000n * KEY, 120), alice);
  assert.equal(staked.dispatchError, undefined);
  assert.ok(staked.events.some(({ event }) => api.events.staking.Staked.is(event)));
  const bonded = await send(api.tx.staking.bondWorker(ferdie.address), alice);
  assert.equal(bonded.dispatchError, undefined);

  // A key Ferdie does not hold is refused; its own keys, proven, are taken.
  const { tx, umbralKey } = registration(api, ferdie, 'http://127.0.0.1:9151', '//Ferdie//umbral');
  const stolen = registration(api, ferdie, 'http://127.0.0.1:9151', '//Ferdie//umbral');
  const forged = api.tx.staking.registerWorker(
    'http://127.0.0.1:9151', stolen.umbralKey, u8aToHex(alice.publicKey),
    stolen.tx.args[3].toHex(), stolen.tx.args[4].toHex(),
  );
  const refused = await send(forged, ferdie);
  const refusal = api.registry.findMetaError(refused.dispatchError.asModule);
  assert.equal(`${refusal.section}.${refusal.name}`, 'staking.BadUmbralKeyProof');
  const registered = await send(tx, ferdie);
  assert.equal(registered.dispatchError, undefined);
  const ferdieBalance = (await api.query.system.account(ferdie.address)).data.free.toBigInt();

  // No manual step from here: the off-chain worker commits, period after period.
  const firstPeriod = await nextCommitment(api, ferdie, 60);
  const [reward] = (await waitForEvents(
    api,
    (e) => api.events.staking.RewardMinted.is(e) && e.data.staker.toString() === alice.address,
    300,
  )).found;
  assert.ok(reward.data.value.toBigInt() > 0n);
  assert.ok(reward.data.period.toNumber() >= firstPeriod);
  assert.equal(reward.data.restaked.isTrue, true);

  // The commitments cost the worker nothing.
  const ferdieNow = (await api.query.system.account(ferdie.address)).data.free.toBigInt();
  assert.equal(ferdieNow, ferdieBalance);

  // Each commitment is Ferdie's own signed version-4 transaction: polkadot.js and a Python
  // integrator's substrate-interface 1.8.1 both decode its block, its signer and its success.
  const { blockHash } = await waitForEvents(
    api,
    (e) => api.events.staking.Committed.is(e) && e.data.worker.toString() === ferdie.address,
    60,
  );
  const { block } = await api.rpc.chain.getBlock(blockHash);
  const duty = block.extrinsics.find((x) => x.method.section === 'staking' && x.method.method === 'commitToNextPeriod');
  assert.ok(duty, 'the commitment is in the block that announced it');
  assert.equal(duty.isSigned, true);
  assert.equal(duty.version & 0x7f, 4, 'a version-4 extrinsic');
  assert.equal(duty.signer.toString(), ferdie.address);
  const python = process.env.KEYMARKET_PYTHON;
  if (!python) throw new Error('set KEYMARKET_PYTHON to a Python with substrate-interface 1.8.1 (scripts/test does)');
  const script = new URL('../python/integrator.py', import.meta.url).pathname;
  const read = spawnSync(python, [script, node.url, blockHash], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(read.status, 0, `substrate-interface could not read the block: ${read.stderr}`);
  const seen = JSON.parse(read.stdout);
  assert.equal(seen.duties.length, 1, read.stdout);
  assert.equal(seen.duties[0].signer, ferdie.address);
  assert.equal(seen.duties[0].success, true);
  assert.ok(seen.duties[0].events.includes('Staking.Committed'), read.stdout);
  assert.ok(seen.duties[0].events.includes('SkipFeelessPayment.FeeSkipped'), read.stdout);

  // What integrators read.
  const view = await rpc('keymarket_staker', [alice.address]);
  assert.ok(BigInt(view.locked) > 2_000n * KEY, `rewards are re-staked: ${view.locked}`);
  assert.equal(view.worker, ferdie.address);
  assert.equal(await rpc('keymarket_stage', []), 'Inflation');
  const active = await rpc('keymarket_activeUrsulas', []);
  assert.deepEqual(active.map((u) => u.worker), [ferdie.address]);
  assert.equal(active[0].endpoint, 'http://127.0.0.1:9151');
  assert.equal(active[0].umbralKey, umbralKey);
  assert.equal(active[0].signingKey, u8aToHex(ferdie.publicKey));
  const seed = u8aToHex(new Uint8Array(32).fill(7));
  assert.deepEqual(await rpc('keymarket_sample', [seed, 1]), [ferdie.address]);

  // Errors with their codes.
  await assert.rejects(rpc('keymarket_sample', [seed, 2]), /1002: fewer than 2 Ursulas/);
  await assert.rejects(rpc('keymarket_sample', [seed, 0]), /-32602: a sample holds 1 to/);
});
