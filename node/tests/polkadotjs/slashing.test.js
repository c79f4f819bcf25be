// Slashing on a real dev node, driven by polkadot.js: offences reported by governance (sudo) go
// through the same interface the reporting pallets use, are judged and deferred; one that
// governance cancels is never applied; the other is applied when its period comes, paying the
// reporter and cutting the stake; events and the keymarket_* RPC methods show it all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { KEY, send, waitForEvents } from './chain.js';
import { startDevNode } from './node.js';

let node;
let api;
let provider;
let alice;
let bob;
let ferdie;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true });
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  ferdie = keyring.addFromUri('//Ferdie');
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

/** Runs `call` as root through sudo; resolves with the inner result's error (or null) and events. */
async function sudo(call) {
  const { events } = await send(api.tx.sudo.sudo(call), alice);
  const sudid = events.find(({ event }) => api.events.sudo.Sudid.is(event));
  const result = sudid.event.data.sudoResult;
  const error = result.isErr ? api.registry.findMetaError(result.asErr.asModule) : null;
  return { error, events };
}

function offence(kind, evidenceByte, period) {
  return {
    offender: ferdie.address,
    kind,
    evidence: u8aToHex(new Uint8Array(32).fill(evidenceByte)),
    period,
    reporters: [bob.address],
  };
}

test('an offence is deferred, applied, rewarded and recorded; a cancelled one is not applied', async () => {
  // //Alice stakes 2,000 KEY and bonds //Ferdie as her Ursula's worker.
  assert.equal((await send(api.tx.staking.stake(2_000n * KEY, 120), alice)).dispatchError, undefined);
  assert.equal((await send(api.tx.staking.bondWorker(ferdie.address), alice)).dispatchError, undefined);
  const period = (await provider.send('keymarket_currentPeriod', [])).valueOf();

  // An incorrect capsule fragment: min(100 KEY + 100 KEY · 0, 2,000 KEY / 10) = 100 KEY.
  const first = await sudo(api.tx.slashing.reportOffence(offence({ IncorrectCfrag: null }, 1, period)));
  assert.equal(first.error, null);
  const reported = first.events.find(({ event }) => api.events.slashing.OffenceReported.is(event)).event;
  assert.equal(reported.data.staker.toString(), alice.address);
  assert.equal(reported.data.worker.toString(), ferdie.address);
  const deferred = first.events.find(({ event }) => api.events.slashing.SlashDeferred.is(event)).event;
  assert.equal(deferred.data.penalty.toBigInt(), 100n * KEY);
  const kept = deferred.data.id.toNumber();
  assert.equal(reported.data.id.toNumber(), kept);
  const applyAt = deferred.data.applyAt.toNumber();
  assert.ok(applyAt > period);

  // Ferdie silent in round 3, where he would have earned 50 KEY.
  const second = await sudo(api.tx.slashing.reportOffence(offence({ Unavailability: { round: 3, earnings: 50n * KEY } }, 2, period)));
  assert.equal(second.error, null);
  const cancelled = second.events.find(({ event }) => api.events.slashing.OffenceReported.is(event)).event.data.id.toNumber();

  // The same evidence again, and an offender nobody staked for, are refused precisely.
  const again = await sudo(api.tx.slashing.reportOffence(offence({ IncorrectCfrag: null }, 1, period)));
  assert.equal(`${again.error.section}.${again.error.name}`, 'slashing.Duplicate');
  const stranger = await sudo(api.tx.slashing.reportOffence({ ...offence({ IncorrectCfrag: null }, 3, period), offender: bob.address }));
  assert.equal(`${stranger.error.section}.${stranger.error.name}`, 'slashing.UnknownOffender');

  // Governance cancels the second one.
  const cancel = await sudo(api.tx.slashing.cancelSlash(cancelled));
  assert.equal(cancel.error, null);
  assert.ok(cancel.events.some(({ event }) => api.events.slashing.SlashCancelled.is(event)));
  const missing = await sudo(api.tx.slashing.cancelSlash(cancelled));
  assert.equal(`${missing.error.section}.${missing.error.name}`, 'slashing.NoSuchSlash');

  const pending = await provider.send('keymarket_pendingSlashes', [alice.address]);
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
  const staker = await provider.send('keymarket_staker', [alice.address]);
  assert.equal(BigInt(staker.locked), 1_900n * KEY);

  const history = await provider.send('keymarket_slashingHistory', [alice.address]);
  assert.deepEqual(history, [
    { kind: 'IncorrectCfrag', count: 1, taken: (100n * KEY).toString(), unapplied: '0', cancelled: 0 },
    { kind: 'Unavailability', count: 0, taken: '0', unapplied: '0', cancelled: 1 },
  ]);
  assert.deepEqual(await provider.send('keymarket_pendingSlashes', []), []);
});
