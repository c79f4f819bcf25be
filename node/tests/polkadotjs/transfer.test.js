// polkadot.js, as an Alice or an integrator uses it, against a real Keymarket dev node: it
// decodes the metadata, signs a transfer as //Alice, and reads the transfer's events; it reads the
// chain's durations and has governance tune a price.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { send } from './chain.js';
import { startDevNode } from './node.js';

let node;
let api;
let provider;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true });
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

test('the metadata decodes and names the runtime and its pallets', async () => {
  assert.equal(api.runtimeVersion.specName.toString(), 'keymarket');
  const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  for (const name of ['System', 'Timestamp', 'Aura', 'Grandpa', 'Balances', 'TransactionPayment', 'Sudo', 'Staking']) {
    assert.ok(pallets.includes(name), `${name} missing from ${pallets}`);
  }
  assert.equal(api.registry.chainSS58, 42);
  assert.deepEqual(api.registry.chainTokens, ['KEY']);
  assert.deepEqual(api.registry.chainDecimals, [12]);
  assert.equal(typeof api.tx.balances.transferKeepAlive, 'function');
});

test('a transfer signed by //Alice is included with its events', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const ferdie = keyring.addFromUri('//Ferdie');
  const amount = 7n * 10n ** 12n;
  const before = (await api.query.system.account(ferdie.address)).data.free.toBigInt();

  const { events, blockHash } = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the transfer was not included within 60 s')), 60_000);
    api.tx.balances
      .transferKeepAlive(ferdie.address, amount)
      .signAndSend(alice, ({ status, events, dispatchError }) => {
        if (dispatchError) {
          clearTimeout(timer);
          reject(new Error(`dispatch failed: ${dispatchError.toString()}`));
        } else if (status.isInBlock) {
          clearTimeout(timer);
          resolve({ events, blockHash: status.asInBlock });
        }
      })
      .catch((e) => { clearTimeout(timer); reject(e); });
  });

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, `no Transfer event among ${events.map(({ event }) => event.method)}`);
  const [from, to, value] = transfer.event.data;
  assert.equal(from.toString(), alice.address);
  assert.equal(to.toString(), ferdie.address);
  assert.equal(value.toBigInt(), amount);
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));
  assert.ok(events.some(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)));

  const after = (await (await api.at(blockHash)).query.system.account(ferdie.address)).data.free.toBigInt();
  assert.equal(after - before, amount);
});

test('a transfer of more than the balance fails with a precise error; the fee goes to the author', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const eve = keyring.addFromUri('//Eve');
  const ferdie = keyring.addFromUri('//Ferdie');
  const free = (await api.query.system.account(eve.address)).data.free.toBigInt();

  const { error, events, blockHash } = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no result within 60 s')), 60_000);
    api.tx.balances
      .transferKeepAlive(ferdie.address, free * 2n)
      .signAndSend(eve, ({ status, dispatchError, events }) => {
        if (status.isInBlock) {
          clearTimeout(timer);
          resolve({ error: dispatchError, events, blockHash: status.asInBlock });
        }
      })
      .catch((e) => { clearTimeout(timer); reject(e); });
  });
  // Balances moves funds through `fungible`, which reports a token error, not a module error.
  assert.ok(error?.isToken, `expected a token error, got ${error?.toString()}`);
  assert.equal(error.asToken.type, 'FundsUnavailable');
  const left = (await api.query.system.account(eve.address)).data.free.toBigInt();
  assert.ok(left < free && free - left < 10n ** 12n, 'only the fee was charged');

  // The dev chain's only author, //Alice, received the fee: nothing was burned.
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  const fee = paid.event.data.actualFee.toBigInt() + paid.event.data.tip.toBigInt();
  const header = await api.rpc.chain.getHeader(blockHash);
  const aliceAt = async (hash) => (await (await api.at(hash)).query.system.account(alice.address)).data.free.toBigInt();
  assert.equal(await aliceAt(blockHash) - await aliceAt(header.parentHash), fee);
  assert.equal(free - left, fee);
});

test('the chain spec chose the durations; governance tunes a price and nobody else can', async () => {
  // The dev preset's durations, as genesis state and as the pallets' constants.
  const durations = (await api.query.staking.durations()).toJSON();
  assert.equal(durations.blocksPerPeriod, 10);
  assert.equal(durations.blocksPerRound, 5);
  assert.equal(api.consts.staking.blocksPerPeriod.toNumber(), durations.blocksPerPeriod);
  assert.equal(api.consts.slashing.evidenceWindow.toNumber(), durations.evidenceWindow);
  assert.equal(api.consts.staking.answerablePeriods.toNumber(), durations.evidenceWindow + durations.deferPeriods);
  // The same, and the clock, over the node's RPC.
  assert.deepEqual(await provider.send('keymarket_durations', []), durations);
  const at = (await api.rpc.chain.getBlockHash()).toHex();
  const [period, round] = await Promise.all(['keymarket_currentPeriod', 'keymarket_currentRound'].map((m) => provider.send(m, [at])));
  assert.ok(round === 2 * period || round === 2 * period + 1, `round ${round} of period ${period}`);

  const keyring = new Keyring({ type: 'sr25519' });
  const [alice, eve] = ['//Alice', '//Eve'].map((uri) => keyring.addFromUri(uri));
  const key = { Policies: 'PlaceFee' };
  const placeFee = (value) => ({ Policies: { PlaceFee: [null, value] } });
  assert.equal((await api.query.parameters.parameters(key)).isNone, true, 'the default is in force');
  // Eve is not governance: refused.
  const refused = await send(api.tx.parameters.setParameter(placeFee(2n * 10n ** 11n)), eve);
  assert.equal(refused.dispatchError?.isBadOrigin, true);
  assert.equal((await api.query.parameters.parameters(key)).isNone, true);
  // Sudo sets it.
  const set = await send(api.tx.sudo.sudo(api.tx.parameters.setParameter(placeFee(2n * 10n ** 11n))), alice);
  assert.ok(set.events.some(({ event }) => api.events.parameters.Updated.is(event)));
  const stored = (await api.query.parameters.parameters(key)).unwrap().toJSON();
  assert.deepEqual(stored, { policies: { placeFee: 200_000_000_000 } });
});

test('gateways are readable and a proof of unavailability is built from metadata alone', async () => {
  // The answer window is a duration; n, t and the difficulty are governance's parameters.
  const durations = (await api.query.staking.durations()).toJSON();
  assert.equal(durations.answerRounds, 2);
  assert.equal(api.consts.gateway.answerRounds.toNumber(), durations.answerRounds);
  assert.equal(await provider.send('keymarket_complaintDifficulty', []), 16);
  // The current round's gateways (none: nobody committed on this chain) and no cases.
  const round = await provider.send('keymarket_currentRound', []);
  const gateways = await provider.send('keymarket_gateways', []);
  assert.ok(gateways === null || (gateways.round === round && Array.isArray(gateways.gateways)));
  assert.deepEqual(await provider.send('keymarket_openCases', []), []);

  // Anyone may submit a proof; one for a round that is not recorded is refused with the
  // pallet's error, and the submitter (not a gateway) paid the fee for learning it.
  const eve = new Keyring({ type: 'sr25519' }).addFromUri('//Eve');
  const claim = {
    ursula: eve.address,
    policy: '0x' + '01'.repeat(16),
    requestHash: '0x' + '02'.repeat(32),
    round: 1_000_000,
    deadline: 1,
    kind: 'Mediate',
  };
  const proof = api.tx.gateway.proveUnavailable(claim, '0x00', 7, ['0x' + '00'.repeat(64)]);
  const refused = await send(proof, eve);
  const error = api.registry.findMetaError(refused.dispatchError.asModule);
  assert.equal(`${error.section}.${error.name}`, 'gateway.ProofWindowClosed');
  // Only the accused gateway of an open silent-gateway case passes it on.
  const pass = await send(api.tx.gateway.passCase(round), eve);
  const passError = api.registry.findMetaError(pass.dispatchError.asModule);
  assert.equal(`${passError.section}.${passError.name}`, 'gateway.NoSuchCase');
});

test('the lottery is reachable from metadata alone: funds, commitments, redemptions and their errors', async () => {
  assert.equal(api.consts.lottery.ticketRounds.toNumber(), 2);
  assert.equal(api.consts.lottery.maxBatch.toNumber(), 2048);
  const eve = new Keyring({ type: 'sr25519' }).addFromUri('//Eve');
  const policy = '0x' + '05'.repeat(16);
  // Nothing funded, nothing committed, nothing redeemed.
  assert.equal(await provider.send('keymarket_lotteryFunds', [eve.address, policy]), null);
  assert.equal(await provider.send('keymarket_lotteryCommitment', [eve.address]), null);
  assert.equal(await provider.send('keymarket_ticketRedeemed', [7, '0x' + '00'.repeat(32)]), false);
  assert.equal(await provider.send('keymarket_ticketRounds', []), 2);
  assert.deepEqual(await provider.send('keymarket_lotteryWinnings', [eve.address]),
    { tickets: 0, paid: '0', fromReserves: '0' });
  await assert.rejects(provider.send('keymarket_ticketRedeemed', [7, '0x00']),
    /a ticket id is 32 bytes, not 1/);
  // Each call refused with the pallet's error: no such policy, not a worker, nothing to reveal.
  const errorOf = async (tx) => {
    const { dispatchError } = await send(tx, eve);
    const error = api.registry.findMetaError(dispatchError.asModule);
    return `${error.section}.${error.name}`;
  };
  assert.equal(await errorOf(api.tx.lottery.fund(policy, 1000, 0)), 'lottery.UnknownPolicy');
  assert.equal(await errorOf(api.tx.lottery.commit('0x' + '01'.repeat(32))), 'lottery.NotAWorker');
  assert.equal(await errorOf(api.tx.lottery.redeem('0x' + '02'.repeat(32), [])), 'lottery.NothingToReveal');
  assert.equal(await errorOf(api.tx.lottery.unlock(policy)), 'lottery.NoAccount');
});

test('proofs of served work are reachable from metadata alone: claims, openings and their errors', async () => {
  assert.equal(api.consts.activity.challenges.toNumber(), 16);
  assert.equal(api.consts.activity.claimPeriods.toNumber(), 2);
  const eve = new Keyring({ type: 'sr25519' }).addFromUri('//Eve');
  const policy = '0x' + '05'.repeat(16);
  // No claims, nothing to open; a policy id of the wrong length is refused.
  assert.deepEqual(await provider.send('keymarket_activityClaims', [eve.address]), []);
  assert.equal(await provider.send('keymarket_activityChallenges', [eve.address, policy, 1]), null);
  await assert.rejects(provider.send('keymarket_activityChallenges', [eve.address, '0x05', 1]),
    /-32602: a policy id is 16 bytes, not 1/);
  // Each call refused with the pallet's error: the dev chain is in its inflation stage; there
  // is no claim to open.
  const errorOf = async (tx) => {
    const { dispatchError } = await send(tx, eve);
    const error = api.registry.findMetaError(dispatchError.asModule);
    return `${error.section}.${error.name}`;
  };
  const claim = api.tx.activity.claim(policy, 0, 10, '0x' + '01'.repeat(32), '0x' + '02'.repeat(64));
  assert.equal(await errorOf(claim), 'activity.NotFeesOnly');
  assert.equal(await errorOf(api.tx.activity.open(policy, 0, [])), 'activity.NoSuchClaim');
  // The committee scheme: an attestation under commit / open is refused; governance (sudo)
  // switches the scheme, which the RPC and storage show, and switches it back.
  const attest = api.tx.activity.attest(policy, 0, 10, '0x' + '01'.repeat(32), 3, 3,
    ['0x' + '02'.repeat(64), '0x' + '03'.repeat(64)]);
  assert.equal(await errorOf(attest), 'activity.WrongScheme');
  // The zero-knowledge scheme's calls, refused the same way: a private claim (commitments and
  // a proof) under commit / open, and a private opening with no claim.
  const privateClaim = api.tx.activity.claimPrivate(policy, 0, 2, '0x' + '01'.repeat(32),
    ['0x' + '02'.repeat(32), '0x' + '03'.repeat(32)], '0x' + '04'.repeat(64), '0x' + '05'.repeat(64));
  assert.equal(await errorOf(privateClaim), 'activity.WrongScheme');
  assert.equal(await errorOf(api.tx.activity.openPrivate(policy, 0, [])), 'activity.NoSuchClaim');
  assert.equal(await provider.send('keymarket_activityScheme', []), 'commitOpen');
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  for (const scheme of ['Committee', 'ZeroKnowledge', 'CommitOpen']) {
    const { events } = await send(api.tx.sudo.sudo(api.tx.activity.setScheme(scheme)), alice);
    assert.ok(events.some(({ event }) => api.events.activity.SchemeSet.is(event)), scheme);
    assert.equal((await api.query.activity.scheme()).toString(), scheme);
  }
});
