// What the polkadot.js tests do on a chain: send a transaction and wait for its block, and wait
// for an event, each with a deadline; register an Ursula with its proofs.
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';

/** One KEY in its smallest unit. */
export const KEY = 10n ** 12n;

/** Signs and sends `tx` as `signer`; resolves once it is in a block, with that block's events of
 * the extrinsic, its dispatch error (if any) and the block hash. */
export function send(tx, signer) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not included within 60 s')), 60_000);
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (status.isInBlock) {
        clearTimeout(timer);
        resolve({ events, dispatchError, blockHash: status.asInBlock });
      }
    }).catch((e) => { clearTimeout(timer); reject(e); });
  });
}

/** Resolves with the events of the first new block that has events `match` accepts
 * (`found`), all of that block's event records (`records`) and its hash (`blockHash`), within
 * `seconds`. */
export function waitForEvents(api, match, seconds) {
  return new Promise((resolve, reject) => {
    let unsubscribe;
    let done = false;
    const finish = () => { done = true; clearTimeout(timer); unsubscribe?.(); };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no matching event within ${seconds} s`));
    }, seconds * 1000);
    api.rpc.chain.subscribeNewHeads(async (header) => {
      const records = await (await api.at(header.hash)).query.system.events();
      const found = records.filter(({ event }) => match(event));
      if (found.length && !done) {
        finish();
        resolve({ found: found.map(({ event }) => event), records, blockHash: header.hash.toHex() });
      }
    }).then((u) => { unsubscribe = u; if (done) u(); }).catch(reject);
  });
}

/** Resolves with the period of `worker`'s next commitment (made by the node's off-chain
 * worker), within `seconds`. */
export async function nextCommitment(api, worker, seconds) {
  const { found } = await waitForEvents(
    api,
    (e) => api.events.staking.Committed.is(e) && e.data.worker.toString() === worker.address,
    seconds,
  );
  return found[0].data.period.toNumber();
}

/** Polls `provider` until the current period is at least `period`, within `seconds`. */
export async function waitForPeriod(provider, period, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while ((await provider.send('keymarket_currentPeriod', [])) < period) {
    if (Date.now() > deadline) throw new Error(`period ${period} did not come within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** `worker`'s registration as an Ursula at `endpoint`: an Umbral key (a secp256k1 key made
 * from `umbralUri`, as the node's `umbr` key is), its own sr25519 key as signing key, and both
 * proofs of possession over `"keymarket/register/v1" ‖ worker ‖ umbral key ‖ signing key`
 * (docs/staking.md). Resolves with the transaction and the Umbral key (hex). */
export function registration(api, worker, endpoint, umbralUri) {
  const umbral = new Keyring({ type: 'ecdsa' }).addFromUri(umbralUri);
  const payload = u8aConcat(
    stringToU8a('keymarket/register/v1'),
    worker.publicKey,
    umbral.publicKey,
    worker.publicKey,
  );
  const tx = api.tx.staking.registerWorker(
    endpoint,
    u8aToHex(umbral.publicKey),
    u8aToHex(worker.publicKey),
    u8aToHex(umbral.sign(payload)),
    u8aToHex(worker.sign(payload)),
  );
  return { tx, umbralKey: u8aToHex(umbral.publicKey) };
}
