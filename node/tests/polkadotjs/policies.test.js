// Policies on a real dev node, driven by polkadot.js: //Charlie (an Alice) grants //Bob a policy
// served by //Ferdie, the Ursula that //Alice stakes for. The whole fee is held in escrow, the
// Ursula is paid per period it is available (its staker withdraws the fees), and revocation
// refunds the rest. The keymarket_* RPC methods show it all. The key fragment envelope here is
// opaque bytes of the right shape: the chain never reads a key fragment (the node-level
// end-to-end test makes real ones).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { KEY, nextCommitment, registration, send, waitForEvents, waitForPeriod } from './chain.js';
import { startDevNode } from './node.js';
import { drawFitting, drawSeed, explainNoMatch, quote as quoteOf } from '../../client-js/market.js';
import { blockEvents, readPolicy, readUrsula } from '../../client-js/integrator.js';

// Valid compressed secp256k1 points (Umbral public keys).
const BOB_KEY = '0x0237f6e94917e536c7571dcbc1bf75e36f21167401ff147dfdff033b084ea2dcb0';
const VERIFYING_KEY = '0x03e12641bacd8ee45743db2c47db24e7b26b19a9a0f1f729b4d0d05227311b7828';
const POLICY_KEY = '0x03f8a1ed9a60acb6474347cb36d3d658ff7e39db2ba7d70c00be92fcbdac8b37f9';
const RATE = 10n ** 9n; // a thousandth of a KEY per Ursula per period
const PRICE = 10n ** 6n; // a millionth of a KEY a request, paid by lottery tickets
const POLICY = u8aToHex(new Uint8Array(16).fill(7));

let node;
let api;
let provider;
let keyring;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true });
  keyring = new Keyring({ type: 'sr25519' });
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
/** A key fragment envelope: SCALE (version 1, capsule bytes, ciphertext bytes). */
const envelope = () => api.createType('(u8, Bytes, Bytes)', [1, u8aToHex(new Uint8Array(105).fill(1)), u8aToHex(new Uint8Array(300).fill(2))]).toHex();

function grant(start, end, overrides = {}) {
  return {
    bob: keyring.addFromUri('//Bob').address,
    bobKey: BOB_KEY,
    verifyingKey: VERIFYING_KEY,
    policyKey: POLICY_KEY,
    threshold: 1,
    start,
    end,
    rate: RATE,
    price: PRICE,
    ...overrides,
  };
}

test('Alice grants, the Ursula earns per period, and revocation refunds the rest', async () => {
  const alice = keyring.addFromUri('//Alice');
  const ferdie = keyring.addFromUri('//Ferdie');
  const charlie = keyring.addFromUri('//Charlie');
  const bob = keyring.addFromUri('//Bob');

  // Before any Ursula is active, a named one is refused.
  const now0 = await rpc('keymarket_currentPeriod', []);
  const early = await send(
    api.tx.policies.createPolicy(POLICY, grant(now0, now0 + 10), [ferdie.address], [envelope()]),
    charlie,
  );
  assert.equal(errorOf(early), 'policies.UrsulaNotActive');

  // //Alice stakes for //Ferdie, whose worker key the node holds, so it commits every period.
  await api.rpc.author.insertKey('ursw', '//Ferdie', u8aToHex(ferdie.publicKey));
  assert.equal((await send(api.tx.staking.stake(2_000n * KEY, 120), alice)).dispatchError, undefined);
  assert.equal((await send(api.tx.staking.bondWorker(ferdie.address), alice)).dispatchError, undefined);
  const registered = await send(
    registration(api, ferdie, 'http://127.0.0.1:9151', '//Ferdie//umbral').tx,
    ferdie,
  );
  assert.equal(registered.dispatchError, undefined);
  await waitForPeriod(provider, await nextCommitment(api, ferdie, 90), 90);

  // Bad grants get precise errors.
  const now = await rpc('keymarket_currentPeriod', []);
  const named = [ferdie.address];
  const badKey = await send(
    api.tx.policies.createPolicy(POLICY, grant(now, now + 10, { bobKey: u8aToHex(new Uint8Array(33).fill(5)) }), named, [envelope()]),
    charlie,
  );
  assert.equal(errorOf(badKey), 'policies.InvalidUmbralKey');
  const past = await send(api.tx.policies.createPolicy(POLICY, grant(now - 1, now + 10), named, [envelope()]), charlie);
  assert.equal(errorOf(past), 'policies.StartInPast');
  const badEnvelope = await send(api.tx.policies.createPolicy(POLICY, grant(now, now + 10), named, ['0x0102']), charlie);
  assert.equal(errorOf(badEnvelope), 'policies.MalformedKeyFrag');

  // The grant: 1 of 1, ten periods, the whole fee held.
  const charlieFree = (await api.query.system.account(charlie.address)).data.free.toBigInt();
  const created = await send(
    api.tx.policies.createPolicy(POLICY, grant(now, now + 10), named, [envelope()]),
    charlie,
  );
  assert.equal(created.dispatchError, undefined);
  const event = created.events.find(({ event }) => api.events.policies.PolicyCreated.is(event)).event;
  assert.deepEqual(event.data.ursulas.map((u) => u.toString()), [ferdie.address]);
  assert.equal(event.data.escrow.toBigInt(), 10n * RATE);
  // A place fee per Ursula (to its staker, never refunded) and the record's deposit.
  const placeFees = event.data.placeFees.toBigInt();
  const deposit = event.data.deposit.toBigInt();
  assert.equal(placeFees, api.consts.policies.placeFee.toBigInt());
  assert.equal(deposit, api.consts.policies.depositBase.toBigInt() + api.consts.policies.depositPerUrsula.toBigInt());
  assert.equal(BigInt(await rpc('keymarket_escrow', [charlie.address])), 10n * RATE);
  const view = await rpc('keymarket_policy', [POLICY]);
  assert.equal(view.owner, charlie.address);
  assert.equal(view.bob, bob.address);
  assert.equal(view.bobKey, BOB_KEY);
  assert.equal(view.status, 'active');
  // The price of a request is the policy's, as Alice set it; nothing paid by tickets yet.
  assert.equal(BigInt(view.price), PRICE);
  assert.equal(view.paidByTickets, '0');
  // Bob's client judges Ferdie's fragments by the signing key recorded here.
  assert.deepEqual(view.signingKeys, [u8aToHex(ferdie.publicKey)]);
  assert.deepEqual(await rpc('keymarket_policiesOfOwner', [charlie.address]), [POLICY]);
  assert.deepEqual(await rpc('keymarket_policiesOfBob', [bob.address]), [POLICY]);
  assert.deepEqual(await rpc('keymarket_policiesOfUrsula', [ferdie.address]), [POLICY]);
  await assert.rejects(rpc('keymarket_policy', ['0x0102']), /-32602: a policy id is 16 bytes/);

  // The integrator's reads (node/client-js/integrator.js), pinned to the grant's block: the
  // policy (RPC and storage agree), its Ursula's stake and history, the block's events.
  const at = created.blockHash.toHex();
  const policy = await readPolicy(api, rpc, POLICY, at);
  assert.deepEqual(
    [policy.owner, policy.bob, policy.ursulas, policy.status, policy.escrow],
    [charlie.address, bob.address, [ferdie.address], 'active', 10n * RATE],
  );
  assert.equal(await readPolicy(api, rpc, u8aToHex(new Uint8Array(16).fill(9)), at), null);
  const ursula = await readUrsula(api, rpc, ferdie.address, at);
  assert.equal(ursula.staker, alice.address);
  assert.equal(ursula.registered, true);
  assert.equal(ursula.locked, 2_000n * KEY);
  assert.deepEqual(ursula.subStakes.map((s) => s.value), [2_000n * KEY]);
  assert.equal(ursula.offences, 0);
  assert.equal(await readUrsula(api, rpc, charlie.address, at), null, 'not a worker');
  const events = await blockEvents(api, at);
  const made = events.find((e) => e.pallet === 'policies' && e.event === 'PolicyCreated');
  assert.deepEqual(made.extrinsic.call, 'policies.createPolicy');
  assert.equal(made.extrinsic.signer, charlie.address);
  assert.equal(made.fields.policy, POLICY);
  assert.equal(BigInt(made.fields.escrow), 10n * RATE);
  assert.ok(events.some((e) => e.pallet === 'system' && e.event === 'ExtrinsicSuccess' && e.extrinsic.index === made.extrinsic.index));
  assert.ok(events.some((e) => e.extrinsic?.call === 'timestamp.set'), 'the inherent too');
  const again = await send(api.tx.policies.createPolicy(POLICY, grant(now, now + 10), named, [envelope()]), charlie);
  assert.equal(errorOf(again), 'policies.PolicyIdInUse');

  // Ferdie's next commitment pays for the period it served; Alice (its staker) withdraws.
  const [paid] = (await waitForEvents(api, (e) => api.events.policies.FeePaid.is(e), 90)).found;
  assert.equal(paid.data.staker.toString(), alice.address);
  assert.equal(paid.data.fee.toBigInt(), RATE);
  assert.ok(BigInt(await rpc('keymarket_earnedFees', [alice.address])) >= RATE);
  const aliceFree = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const withdrawn = await send(api.tx.policies.withdrawFees(), alice);
  const fees = withdrawn.events.find(({ event }) => api.events.policies.FeesWithdrawn.is(event)).event;
  assert.ok(fees.data.amount.toBigInt() >= RATE);
  const aliceAfter = (await api.at(withdrawn.blockHash)).query.system.account(alice.address);
  assert.ok((await aliceAfter).data.free.toBigInt() > aliceFree, 'the fees are free to spend');

  // Only Charlie revokes; what has not accrued comes back, and the key fragment is gone.
  assert.equal(errorOf(await send(api.tx.policies.revokePolicy(POLICY), bob)), 'policies.NotOwner');
  const revoked = await send(api.tx.policies.revokePolicy(POLICY), charlie);
  const revokedEvent = revoked.events.find(({ event }) => api.events.policies.PolicyRevoked.is(event)).event;
  const paidSoFar = BigInt((await rpc('keymarket_policy', [POLICY])).paid);
  assert.equal(revokedEvent.data.refund.toBigInt(), 10n * RATE - paidSoFar);
  assert.equal(await rpc('keymarket_escrow', [charlie.address]), '0');
  assert.deepEqual(await rpc('keymarket_policiesOfUrsula', [ferdie.address]), []);
  assert.equal(Object.keys((await rpc('keymarket_policy', [POLICY])).status)[0], 'revoked');
  assert.equal(errorOf(await send(api.tx.policies.revokePolicy(POLICY), charlie)), 'policies.AlreadyRevoked');

  // Charlie paid the fees the Ursula earned, the place fee and the transaction fees; the
  // deposit stays held until the record is removed. Nothing else.
  const charlieNow = (await api.query.system.account(charlie.address)).data.free.toBigInt();
  const spent = paidSoFar + placeFees + deposit;
  assert.ok(charlieNow <= charlieFree - spent && charlieNow > charlieFree - spent - KEY);
});

test('the alice client makes the key fragments and polkadot.js submits the grant', async () => {
  const ferdie = keyring.addFromUri('//Ferdie');
  const charlie = keyring.addFromUri('//Charlie');
  const bob = keyring.addFromUri('//Bob');
  const dir = mkdtempSync(join(tmpdir(), 'keymarket-alice-'));
  try {
    const bin = process.env.KEYMARKET_NODE;
    const run = (args) => JSON.parse(execFileSync(bin, args).toString());
    run(['alice', 'keygen', '--out', join(dir, 'alice.json')]);
    const { bobKey } = run(['bob', 'keygen', '--out', join(dir, 'bob.json')]);
    const prepared = run([
      'alice', 'grant', '--keys', join(dir, 'alice.json'), '--suri', '//Charlie', '--label', 'js',
      '--bob', bob.address, '--bob-key', bobKey, '--threshold', '1', '--ursula', ferdie.address,
      '--periods', '5', '--rate', RATE.toString(), '--print-call', '--rpc', node.url.replace('ws://', 'http://'),
    ]);
    const created = await send(api.tx(api.createType('Call', prepared.call)), charlie);
    assert.equal(created.dispatchError, undefined);
    const event = created.events.find(({ event }) => api.events.policies.PolicyCreated.is(event)).event;
    assert.equal(event.data.policy.toHex(), prepared.policy.policy);
    const view = await rpc('keymarket_policy', [prepared.policy.policy]);
    assert.equal(view.policyKey, prepared.policy.policyKey);
    assert.equal(view.bobKey, bobKey);
    assert.deepEqual(view.ursulas, [ferdie.address]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an Ursula sets its terms; Alice is refused below them and finds the Ursulas that fit', async () => {
  const alice = keyring.addFromUri('//Alice');
  const ferdie = keyring.addFromUri('//Ferdie');
  const charlie = keyring.addFromUri('//Charlie');
  const bob = keyring.addFromUri('//Bob');
  const ask = 5n * RATE;

  // Terms outside governance's range, or more places than the chain allows, are refused.
  const maxRate = api.consts.staking.maxFeeRate.toBigInt();
  const maxPlaces = api.consts.staking.maxCapacity.toNumber();
  assert.equal(errorOf(await send(api.tx.staking.setTerms(maxRate + 1n, 3), alice)), 'staking.FeeRateOutOfRange');
  assert.equal(errorOf(await send(api.tx.staking.setTerms(ask, maxPlaces + 1), alice)), 'staking.CapacityOutOfRange');
  assert.equal(errorOf(await send(api.tx.staking.setTerms(ask, 0), alice)), 'staking.CapacityOutOfRange');
  assert.equal(errorOf(await send(api.tx.staking.setTerms(ask, 3), bob)), 'staking.NotAStaker');

  // //Alice (Ferdie's staker) asks five times the rate, from the next period.
  const set = await send(api.tx.staking.setTerms(ask, 3), alice);
  assert.equal(set.dispatchError, undefined);
  const termsSet = set.events.find(({ event }) => api.events.staking.TermsSet.is(event)).event;
  const from = termsSet.data.from.toNumber();
  const before = await rpc('keymarket_terms', [ferdie.address]);
  assert.equal(before.chosen, false);
  assert.equal(BigInt(before.inForce.minFeeRate), api.consts.staking.minFeeRate.toBigInt());
  assert.deepEqual(before.next, [from, { minFeeRate: ask.toString(), capacity: 3 }]);
  await waitForPeriod(provider, from, 90);

  const terms = await rpc('keymarket_terms', [ferdie.address]);
  assert.deepEqual(terms.inForce, { minFeeRate: ask.toString(), capacity: 3 });
  assert.equal(terms.chosen, true);
  assert.equal(terms.next, null);
  assert.equal(terms.freePlaces, 3 - terms.load);

  // Below Ferdie's minimum, the chain refuses and names Ferdie by its index in the list.
  const now = await rpc('keymarket_currentPeriod', []);
  const id = u8aToHex(new Uint8Array(16).fill(9));
  const cheap = await send(api.tx.policies.createPolicy(id, grant(now, now + 5), [ferdie.address], [envelope()]), charlie);
  assert.equal(errorOf(cheap), 'policies.RateBelowMinimum');
  assert.equal(cheap.dispatchError.asModule.error[1], 0, 'the error names the Ursula at index 0');

  // The draw says why no Ursula fits, and which rate would do; at that rate it finds Ferdie.
  const seed = u8aToHex(new Uint8Array(32).fill(3));
  await assert.rejects(
    rpc('keymarket_sampleFitting', [seed, 1, RATE.toString(), now + 5]),
    new RegExp(`1002: 0 of 1 active Ursulas fit.*1 ask a higher rate; a rate of ${ask} would find 1`),
  );
  assert.deepEqual(await rpc('keymarket_sampleFitting', [seed, 1, ask.toString(), now + 5]), [ferdie.address]);
  // The JavaScript client draws the same from the chain's public state, and explains the same.
  const at = (await api.rpc.chain.getBlockHash()).toHex();
  const refused = await rpc('keymarket_sampleFitting', [seed, 1, RATE.toString(), now + 5, at]).catch((e) => e);
  const js = await drawFitting(api, rpc, { seed, n: 1, rate: RATE, end: now + 5, at });
  assert.ok(refused.message.includes(explainNoMatch(js.noMatch)), `${refused.message} vs ${explainNoMatch(js.noMatch)}`);
  assert.equal(js.noMatch.lowestRate, ask.toString());
  assert.deepEqual((await drawFitting(api, rpc, { seed, n: 1, rate: ask, end: now + 5, at })).ursulas, [ferdie.address]);
  await assert.rejects(rpc('keymarket_sampleFitting', [seed, 0, ask.toString(), now + 5]), /-32602/);

  // The market: nothing on offer at the old rate, Ferdie's stake at its ask.
  const [low, high] = await rpc('keymarket_priceDistribution', [[RATE.toString(), ask.toString()]]);
  assert.deepEqual([low.ursulas, low.stake], [0, '0']);
  assert.equal(high.ursulas, 1);
  // Ferdie's stake as committed for the period (rewards re-staked since //Alice staked).
  const [active] = await rpc('keymarket_activeUrsulas', []);
  assert.equal(high.stake, active.locked);
  assert.ok(BigInt(high.stake) >= 2_000n * KEY);
  await assert.rejects(rpc('keymarket_priceDistribution', [[]]), /-32602/);

  // What a policy costs, before signing; the earlier tests' policies show in the prices paid.
  const quote = await rpc('keymarket_quote', [1, ask.toString(), 5]);
  assert.equal(BigInt(quote.escrow), 5n * ask);
  const jsQuote = await quoteOf(rpc, 1, ask, 5);
  assert.deepEqual(jsQuote, { escrow: 5n * ask, placeFees: BigInt(quote.placeFees), deposit: BigInt(quote.deposit), total: BigInt(quote.total) });
  assert.equal(await quoteOf(rpc, 16, 2n ** 127n, 1000), null, 'an overflowing quote is refused');
  assert.equal(BigInt(quote.placeFees), api.consts.policies.placeFee.toBigInt());
  assert.equal(BigInt(quote.total), BigInt(quote.escrow) + BigInt(quote.placeFees) + BigInt(quote.deposit));
  const paid = await rpc('keymarket_pricesPaid', [null, null]);
  assert.ok(paid.length >= 1);
  assert.equal(paid.reduce((n, p) => n + p.prices.policies, 0), 2);
  assert.ok(paid.every((p) => BigInt(p.prices.minRate) === RATE));

  // The alice client: too low a rate is explained; at the ask it quotes, then grants.
  const dir = mkdtempSync(join(tmpdir(), 'keymarket-terms-'));
  try {
    const bin = process.env.KEYMARKET_NODE;
    const url = node.url.replace('ws://', 'http://');
    const run = (args) => JSON.parse(execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString());
    const fails = (args) => {
      try {
        execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        return e.stderr.toString();
      }
      assert.fail(`${args.join(' ')} succeeded`);
    };
    run(['alice', 'keygen', '--out', join(dir, 'alice.json')]);
    const { bobKey } = run(['bob', 'keygen', '--out', join(dir, 'bob.json')]);
    const grantArgs = (rate, extra) => [
      'alice', 'grant', '--keys', join(dir, 'alice.json'), '--suri', '//Charlie', '--label', 'terms',
      '--bob', bob.address, '--bob-key', bobKey, '--threshold', '1', '--periods', '5',
      '--rate', rate.toString(), '--rpc', url, ...extra,
    ];
    assert.match(fails(grantArgs(RATE, [])), new RegExp(`no 1 Ursulas take ${RATE} per period.*a rate of ${ask} would find 1`));
    assert.match(fails(grantArgs(RATE, ['--ursula', ferdie.address])), new RegExp(`Ursula ${ferdie.address} asks at least ${ask} per period`));
    const quoted = run(grantArgs(ask, ['--quote']));
    assert.deepEqual(quoted.ursulas, [ferdie.address]);
    assert.equal(BigInt(quoted.cost.escrow), 5n * ask);
    assert.equal(quoted.draw.drawn, true);
    // Anyone checks the draw: the same seed at the same block draws the same Ursulas.
    const again = await rpc('keymarket_sampleFitting', [quoted.draw.seed, 1, ask.toString(), quoted.end, quoted.draw.block]);
    assert.deepEqual(again, quoted.ursulas);
    assert.equal(drawSeed(api, quoted.policy), quoted.draw.seed);
    const redrawn = await drawFitting(api, rpc, { seed: quoted.draw.seed, n: 1, rate: ask, end: quoted.end, at: quoted.draw.block });
    assert.deepEqual(redrawn.ursulas, quoted.ursulas);
    const granted = run(grantArgs(ask, ['--yes']));
    assert.deepEqual(granted.ursulas, [ferdie.address]);
    const view = await rpc('keymarket_policy', [granted.policy]);
    assert.equal(BigInt(view.rate), ask);
    assert.equal(view.status, 'active');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
