// Alice in JavaScript alone: on a dev node hosting //Ferdie's Ursula (staked by //Alice),
// //Charlie makes a policy's key fragments with the npm @nucypher/umbral-pre, seals each to the
// Ursula's Umbral key with the policy it is for, and submits the grant with @polkadot/api (no
// custom types); Enrico encrypts in JavaScript too. Then the real Rust Bob (`keymarket-node bob
// retrieve`) asks the Ursula and decrypts, and so does the JavaScript Bob (node/client-js/bob.js);
// Charlie tops up Bob's tickets and both Bobs retrieve again paying by ticket; Charlie revokes
// and Bob is refused. Last, the same in a page (node/client-js/page/) in headless Chromium driven by
// playwright-core: Alice grants from the page, Bob retrieves from the Ursula and decrypts there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import * as umbral from '@nucypher/umbral-pre';
import { KEY, nextCommitment, send, waitForPeriod } from './chain.js';
import { freePort, nodeBinary, startDevNode } from './node.js';
import { aliceKeys, bobKey, encrypt, grant, newKeyFile } from '../../client-js/alice.js';
import { retrieve } from '../../client-js/bob.js';
import { readPolicy } from '../../client-js/integrator.js';

const RATE = 10n ** 9n;
const PRICE = 10n ** 6n;

let node;
let api;
let provider;
let dir;

before(async () => {
  await cryptoWaitReady();
  const port = await freePort();
  node = await startDevNode({
    keys: [['ursw', 'sr25519', '//Ferdie'], ['umbr', 'ecdsa', '//Ferdie//umbral']],
    args: ['--ursula-listen', `127.0.0.1:${port}`],
  });
  node.endpoint = `http://127.0.0.1:${port}`;
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true });
  dir = mkdtempSync(join(tmpdir(), 'keymarket-alice-js-'));
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rpc = (method, params) => provider.send(method, params);

/** `keymarket-node bob retrieve` of `file` into `out`: its exit status and what it said. */
function bobRetrieves(file, out) {
  try {
    execFileSync(nodeBinary(), [
      'bob', 'retrieve', '--keys', join(dir, 'bob.json'), '--suri', '//Bob', '--in', file,
      '--out', out, '--no-complaints', '--rpc', node.url.replace('ws://', 'http://'),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, said: '' };
  } catch (e) {
    return { ok: false, said: `${e.stdout}${e.stderr}` };
  }
}

/** Retries `attempt` (the Ursula reads the chain block by block) until `done` holds. */
async function until(what, seconds, attempt, done) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const result = attempt();
    if (done(result)) return result;
    if (Date.now() > deadline) {
      const ursula = node.log().split('\n').filter((line) => /key fragment|ursula|Ursula/.test(line)).slice(-20);
      throw new Error(`${what} within ${seconds} s: ${JSON.stringify(result)}\n${ursula.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

test('Alice grants from JavaScript alone, Enrico encrypts in JavaScript, and the Rust Bob decrypts', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const ferdie = keyring.addFromUri('//Ferdie');
  const charlie = keyring.addFromUri('//Charlie');
  const bob = keyring.addFromUri('//Bob');

  // //Alice stakes for //Ferdie, whose keys the node holds and whose endpoint it serves.
  assert.equal((await send(api.tx.staking.stake(2_000n * KEY, 120), alice)).dispatchError, undefined);
  assert.equal((await send(api.tx.staking.bondWorker(ferdie.address), alice)).dispatchError, undefined);
  // The node prints the registration its Ursula needs (its Umbral key, made from the keystore's
  // `umbr` seed, and both proofs of possession): the operator submits it as printed.
  const printed = /register this Ursula: staking\.registerWorker\("([^"]+)", (0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+)\)/
    .exec(node.log());
  assert.ok(printed, 'the node prints its registration');
  assert.equal(printed[1], node.endpoint);
  const register = api.tx.staking.registerWorker(...printed.slice(1));
  assert.equal((await send(register, ferdie)).dispatchError, undefined);
  await waitForPeriod(provider, await nextCommitment(api, ferdie, 180), 180);

  // Bob's key file is the Rust client's; the JavaScript client derives the same key from it.
  const made = JSON.parse(execFileSync(nodeBinary(), ['bob', 'keygen', '--out', join(dir, 'bob.json')]));
  const bobPublic = u8aToHex(bobKey(umbral, readFileSync(join(dir, 'bob.json'), 'utf8')).publicKey().toCompressedBytes());
  assert.equal(bobPublic, made.bobKey);

  // Alice's key file, made and read in JavaScript; the grant, built and sent from JavaScript.
  const keys = aliceKeys(umbral, newKeyFile(), 'js');
  const policy = u8aToHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  const start = await rpc('keymarket_currentPeriod', []);
  const granted = await grant(api, rpc, umbral, {
    owner: charlie.address, keys, policy, bob: bob.address, bobKey: made.bobKey,
    ursulas: [ferdie.address], threshold: 1, start, periods: 20, rate: RATE, price: PRICE,
  });
  const created = await send(granted.tx, charlie);
  assert.equal(created.dispatchError, undefined);
  assert.ok(created.events.some(({ event }) => api.events.policies.PolicyCreated.is(event)));
  // Read back as an integrator reads it, and its keys as the node's RPC gives them.
  const at = (await api.rpc.chain.getBlockHash()).toHex();
  const view = await readPolicy(api, rpc, policy, at);
  assert.deepEqual(
    [view.owner, view.bob, view.ursulas, view.status, view.start, view.end],
    [charlie.address, bob.address, [ferdie.address], 'active', start, granted.end],
  );
  const keysOnChain = await rpc('keymarket_policy', [policy]);
  assert.deepEqual(
    [keysOnChain.policyKey, keysOnChain.verifyingKey, keysOnChain.bobKey],
    [granted.policyKey, granted.verifyingKey, made.bobKey],
  );

  // Enrico encrypts in JavaScript; the Rust Bob retrieves from the Ursula and decrypts.
  const plaintext = new TextEncoder().encode('sealed in JavaScript, opened in Rust');
  writeFileSync(join(dir, 'secret.enc'), encrypt(api, umbral, policy, granted.policyKey, plaintext));
  const out = join(dir, 'plain.out');
  const first = await until('Bob decrypts', 180, () => bobRetrieves(join(dir, 'secret.enc'), out), (r) => r.ok);
  assert.ok(first.ok);
  assert.deepEqual(new Uint8Array(readFileSync(out)), plaintext);
  // And the JavaScript Bob, from the same key file: his own requests, every fragment checked.
  const bobSecret = bobKey(umbral, readFileSync(join(dir, 'bob.json'), 'utf8'));
  const jsBob = () => retrieve(api, rpc, umbral, { bob, bobSecret, file: readFileSync(join(dir, 'secret.enc')) });
  assert.deepEqual(new Uint8Array(await jsBob()), plaintext);
  // A Bob with another key is not this policy's Bob.
  const stranger = umbral.SecretKey.random();
  await assert.rejects(
    retrieve(api, rpc, umbral, { bob, bobSecret: stranger, file: readFileSync(join(dir, 'secret.enc')) }),
    /not to this Bob/,
  );

  // Alice tops up the tickets that pay per request; Bob's requests now carry tickets. Each is
  // worth 100 prices if it wins (the clients' odds of 1 in 100): the cap lets ten win in a
  // period, so that two winners among the few requests below (rare, but seen) do not exhaust
  // it and leave a request refused as over the cap.
  const funded = await send(api.tx.lottery.fund(policy, 1_000n * PRICE, 100n * PRICE), charlie);
  assert.equal(funded.dispatchError, undefined);
  const authorized = await send(api.tx.lottery.authorize(policy, 1_000n * PRICE), charlie);
  assert.equal(authorized.dispatchError, undefined);
  const account = (await api.query.lottery.accounts(charlie.address, policy)).unwrap();
  assert.equal(account.deposit.toBigInt(), 1_000n * PRICE);
  assert.equal(account.cap.toBigInt(), 1_000n * PRICE);
  rmSync(out);
  const ticketed = await until('Bob decrypts paying by ticket', 180, () => bobRetrieves(join(dir, 'secret.enc'), out), (r) => r.ok);
  assert.ok(ticketed.ok);
  assert.deepEqual(new Uint8Array(readFileSync(out)), plaintext);
  // And the JavaScript Bob, his requests now carrying tickets too.
  assert.deepEqual(new Uint8Array(await jsBob()), plaintext);
  // A ticket naming a commitment the Ursula has moved on from (as when it commits again between
  // Bob's read and his request) is refused for that reason, named; the JavaScript Bob makes the
  // ticket again from the chain, once, and is served. An RPC that always answers an old
  // commitment leaves him with the refusal, named.
  const oldCommitment = (always) => {
    let lies = 0;
    const lying = async (method, params) => {
      const answer = await rpc(method, params);
      if (method !== 'keymarket_lotteryCommitment' || answer === null || (lies > 0 && !always)) return answer;
      lies += 1;
      return { ...answer, current: `0x${'00'.repeat(32)}` };
    };
    return { lying, told: () => lies };
  };
  const once = oldCommitment(false);
  const file = readFileSync(join(dir, 'secret.enc'));
  assert.deepEqual(new Uint8Array(await retrieve(api, once.lying, umbral, { bob, bobSecret, file })), plaintext);
  assert.equal(once.told(), 1);
  const always = oldCommitment(true);
  await assert.rejects(retrieve(api, always.lying, umbral, { bob, bobSecret, file }), /Ticket\(WrongCommitment\)/);
  assert.equal(always.told(), 2, 'made again once, not more');

  // Alice revokes: the Ursula stops serving, with the reason.
  const revoked = await send(api.tx.policies.revokePolicy(policy), charlie);
  assert.equal(revoked.dispatchError, undefined);
  const refused = await until('the Ursula refuses', 120, () => bobRetrieves(join(dir, 'secret.enc'), out), (r) => !r.ok);
  assert.match(refused.said, /[Rr]evoked/, refused.said);
});

test('the page: Alice grants and Bob decrypts in a browser (headless Chromium)', async () => {
  const { serve } = await import('../../client-js/page/serve.js');
  const { chromium } = await import('playwright-core');
  const ferdie = new Keyring({ type: 'sr25519' }).addFromUri('//Ferdie');
  const { server, url } = await serve(fileURLToPath(new URL('./node_modules', import.meta.url)));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const query = new URLSearchParams({
      rpc: node.url, alice: '//Charlie', bob: '//Bob', ursulas: ferdie.address, message: 'read in the browser',
    });
    await page.goto(`${url}?${query}`);
    const status = () => page.textContent('#status');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('ready'), null, { timeout: 30_000 });
    await page.click('#grant');
    await page.waitForFunction(
      () => /granted policy|error/.test(document.getElementById('status').textContent), null, { timeout: 90_000 },
    );
    assert.match(await status(), /granted policy 0x[0-9a-f]{32}/);
    // The Ursula reads the grant from its next block: Bob asks again until it serves.
    const deadline = Date.now() + 90_000;
    while ((await page.textContent('#plaintext')) === '') {
      assert.ok(Date.now() < deadline, `Bob never decrypted:\n${await status()}`);
      await page.click('#retrieve');
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    assert.equal(await page.textContent('#plaintext'), 'read in the browser');
    if (process.env.KEYMARKET_SCREENSHOT) await page.screenshot({ path: process.env.KEYMARKET_SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
