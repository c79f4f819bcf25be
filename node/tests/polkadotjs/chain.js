// What the polkadot.js tests do on a chain: send a transaction and wait for its block, and wait
// for an event, each with a deadline.

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
 * (`found`) and all of that block's event records (`records`), within `seconds`. */
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
        resolve({ found: found.map(({ event }) => event), records });
      }
    }).then((u) => { unsubscribe = u; if (done) u(); }).catch(reject);
  });
}
