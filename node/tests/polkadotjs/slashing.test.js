// Slashing on a real dev node, driven by polkadot.js, through the one path an offence takes:
// //Bob reports fragments that //Ferdie's Ursula signed and that do not verify (the
// adjudicator, umbral-pre in the runtime), each is judged and deferred; governance cancels one, the other is applied when
// its period comes, paying the reporter and cutting the stake. Nobody, not even governance, can
// report an offence without evidence, and the staker cannot withdraw stake that still answers.
// Events and the keymarket_* RPC methods show it all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { bnToU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { KEY, nextCommitment, registration, send, waitForEvents, waitForPeriod } from './chain.js';
import { startDevNode } from './node.js';

// The policies pallet's fixture (pallets/policies/src/fixture.rs), made with umbral-pre 0.11:
// Alice's keys and Bob's, a capsule, and the fragment of another capsule handed back for it.
const BOB_KEY = '0x0237f6e94917e536c7571dcbc1bf75e36f21167401ff147dfdff033b084ea2dcb0';
const VERIFYING_KEY = '0x03e12641bacd8ee45743db2c47db24e7b26b19a9a0f1f729b4d0d05227311b7828';
const POLICY_KEY = '0x03f8a1ed9a60acb6474347cb36d3d658ff7e39db2ba7d70c00be92fcbdac8b37f9';
const CAPSULE = hexToU8a('0x93c421028dd5fc13d609ce78b7b84443cbc72d7eca5825dbc5d19fd77a486327851b0ea4c421028830613a5fae31ea4839442848bb5c0d9c7aeb8d680c3a010aec545abb64c8ecc4206b3c8a6076c264c56cecf2b44bc2571f853d4e776dec128cf0fee0f523a1cfd5');
const WRONG_CFRAG = hexToU8a(
  '0x95c421024486d35c0af186e5fd61c487b7165c8b62e5ab954a0d1c7e628d6fa95d13d954c421030745da69c9daac68adf6f3c8509d09543469bc086abe3ee362377abf812395f2c420e7ebdbf810cd2cc5879239bf83cc2ad132c3a3165e69e12269fb3760c974f71dc421035cc32517120639690ba570683e1212a7b74aee0a9fedeb89ebba8a640ae4330996c42103956caa37f2380674286bf96f0a34db6e97b0a2a26fc21ef68c69712c9aef2b59c421022aeda60aa2f48670ee74654ec25eede267aa945f356b6e01a080455f85cd59ebc42102b2694372acf802b782f6ba6ec4b683baeaf308ec1b97e876bf851a83451b6270c4210284f81263d7b64398a8825b01a3aad382b46d638c68b12418eb7421d64a3b7132c42003f7f481e1b9ddf8ef08f871fd719367219012fedc698d837a929d0a8a314dccc44086d73c9c10dbfe111da6046296b38513bd55eb6dc39c49cea6d0ef06542dcadb7ca8ccf8820d9e073ef28d199ae08e0955cb5e2e65d488105400401e3d28a7c4',
);
const POLICY = new Uint8Array(16).fill(9);

let node;
let api;
let provider;
let alice;
let bob;
let charlie;
let ferdie;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true });
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  charlie = keyring.addFromUri('//Charlie');
  ferdie = keyring.addFromUri('//Ferdie');
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

const rpc = (method, params) => provider.send(method, params);
const errorOf = (result) => {
  const err = api.registry.findMetaError(result.dispatchError.asModule);
  return `${err.section}.${err.name}`;
};

/** Runs `call` as root through sudo; resolves with the inner result's error (or null) and events. */
async function sudo(call) {
  const { events } = await send(api.tx.sudo.sudo(call), alice);
  const sudid = events.find(({ event }) => api.events.sudo.Sudid.is(event));
  const result = sudid.event.data.sudoResult;
  const error = result.isErr ? api.registry.findMetaError(result.asErr.asModule) : null;
  return { error, events };
}

/** Evidence that `signer` (as Ursula //Ferdie) answered `CAPSULE` with `cfrag` in `servedAt`:
 * its signature of "keymarket/cfrag/v1" ‖ policy ‖ Ursula ‖ period ‖ blake2(capsule) ‖
 * blake2(cfrag) (docs/wire-formats.md). */
function evidence(cfrag, servedAt, signer = ferdie) {
  const payload = u8aConcat(
    stringToU8a('keymarket/cfrag/v1'),
    POLICY,
    ferdie.publicKey,
    bnToU8a(servedAt, { bitLength: 32, isLe: true }),
    blake2AsU8a(CAPSULE, 256),
    blake2AsU8a(cfrag, 256),
  );
  return {
    policy: u8aToHex(POLICY),
    servedAt,
    capsule: u8aToHex(CAPSULE),
    cfrag: u8aToHex(cfrag),
    signature: u8aToHex(signer.sign(payload)),
  };
}

test('wrong fragments are reported, deferred, applied, rewarded and recorded; a cancelled one is not applied', async () => {
  // Governance has no call that takes stake without evidence.
  assert.equal(api.tx.slashing.reportOffence, undefined);

  // //Alice stakes 2,000 KEY for //Ferdie's Ursula, whose worker key the node holds.
  await api.rpc.author.insertKey('ursw', '//Ferdie', u8aToHex(ferdie.publicKey));
  assert.equal((await send(api.tx.staking.stake(2_000n * KEY, 120), alice)).dispatchError, undefined);
  // Rewards stay free, so that the locked stake moves only by the slash.
  assert.equal((await send(api.tx.staking.setRestake(false), alice)).dispatchError, undefined);
  assert.equal((await send(api.tx.staking.bondWorker(ferdie.address), alice)).dispatchError, undefined);
  const { tx } = registration(api, ferdie, 'http://127.0.0.1:9151', '//Ferdie//umbral');
  assert.equal((await send(tx, ferdie)).dispatchError, undefined);
  await waitForPeriod(provider, await nextCommitment(api, ferdie, 90), 90);

  // //Charlie grants //Bob a policy that Ferdie serves.
  const now = await rpc('keymarket_currentPeriod', []);
  const envelope = api.createType('(u8, Bytes, Bytes)', [1, u8aToHex(CAPSULE), u8aToHex(new Uint8Array(300).fill(2))]).toHex();
  const grant = {
    bob: bob.address, bobKey: BOB_KEY, verifyingKey: VERIFYING_KEY, policyKey: POLICY_KEY,
    threshold: 1, start: now, end: now + 20, rate: 10n ** 9n, price: 0,
  };
  const created = await send(api.tx.policies.createPolicy(u8aToHex(POLICY), grant, [ferdie.address], [envelope]), charlie);
  assert.equal(created.dispatchError, undefined);

  // Ferdie signed two wrong answers: the fragment of another capsule (the runtime runs
  // umbral-pre's check in wasm), and bytes that are no capsule fragment at all.
  const report = (ev, signer = bob) => send(api.tx.policies.reportIncorrectCfrag(ferdie.address, ev), signer);
  const first = await report(evidence(WRONG_CFRAG, now));
  assert.equal(first.dispatchError, undefined);
  const reported = first.events.find(({ event }) => api.events.slashing.OffenceReported.is(event)).event;
  assert.equal(reported.data.staker.toString(), alice.address);
  assert.equal(reported.data.worker.toString(), ferdie.address);
  const deferred = first.events.find(({ event }) => api.events.slashing.SlashDeferred.is(event)).event;
  // An incorrect capsule fragment: min(100 KEY + 100 KEY · 0, 2,000 KEY / 10) = 100 KEY.
  assert.equal(deferred.data.penalty.toBigInt(), 100n * KEY);
  const kept = deferred.data.id.toNumber();
  const applyAt = deferred.data.applyAt.toNumber();
  assert.ok(applyAt > now);

  const second = await report(evidence(new Uint8Array([0xc4, 3, 4, 5, 6]), now));
  assert.equal(second.dispatchError, undefined);
  const cancelled = second.events.find(({ event }) => api.events.slashing.SlashDeferred.is(event)).event;
  assert.equal(cancelled.data.penalty.toBigInt(), 200n * KEY, 'history adds 100 KEY, capped at a tenth');

  // The same evidence again, and a fragment Ferdie never signed, are refused precisely.
  assert.equal(errorOf(await report(evidence(WRONG_CFRAG, now))), 'slashing.Duplicate');
  assert.equal(errorOf(await report(evidence(new Uint8Array([0xc4, 3, 7, 7, 7]), now, bob))), 'policies.BadUrsulaSignature');

  // Alice's stake answers for Ferdie: she cannot withdraw any of it.
  assert.equal(errorOf(await send(api.tx.staking.withdraw(1n), alice)), 'staking.StakeStillAnswerable');

  // Governance cancels the second one.
  const cancel = await sudo(api.tx.slashing.cancelSlash(cancelled.data.id));
  assert.equal(cancel.error, null);
  assert.ok(cancel.events.some(({ event }) => api.events.slashing.SlashCancelled.is(event)));
  const missing = await sudo(api.tx.slashing.cancelSlash(cancelled.data.id));
  assert.equal(`${missing.error.section}.${missing.error.name}`, 'slashing.NoSuchSlash');

  const pending = await rpc('keymarket_pendingSlashes', [alice.address]);
  assert.deepEqual(pending.map((s) => s.id), [kept]);
  assert.equal(pending[0].penalty, (100n * KEY).toString());
  assert.equal(pending[0].applyAt, applyAt);

  const bobBefore = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const { found, records } = await waitForEvents(api, (e) => api.events.slashing.SlashApplied.is(e), 240);
  assert.deepEqual(found.map((e) => e.data.id.toNumber()), [kept], 'only the kept slash is applied');
  const applied = found[0].data;
  assert.equal(applied.taken.toBigInt(), 100n * KEY);
  assert.equal(applied.rewarded.toBigInt(), 10n * KEY);
  assert.equal(applied.unapplied.toBigInt(), 0n);
  assert.ok(records.some(({ event }) => api.events.staking.Slashed.is(event)));

  const bobAfter = (await api.query.system.account(bob.address)).data.free.toBigInt();
  assert.equal(bobAfter - bobBefore, 10n * KEY, 'the reporter received a tenth of what was taken');
  const staker = await rpc('keymarket_staker', [alice.address]);
  assert.equal(BigInt(staker.locked), 1_900n * KEY);

  const history = await rpc('keymarket_slashingHistory', [alice.address]);
  assert.deepEqual(history, [
    { kind: 'IncorrectCfrag', count: 1, taken: (100n * KEY).toString(), unapplied: '0', cancelled: 1 },
  ]);
  assert.deepEqual(await rpc('keymarket_pendingSlashes', []), []);
});
