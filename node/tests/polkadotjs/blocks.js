// Every block of a range, as an integrator reads it with polkadot.js (no custom types).
//
// Usage: node blocks.js <ws url> <first block number> <last block number>
//
// Decodes each block's extrinsics (call and arguments, the signer of a signed one) and its events
// (every field), and prints one JSON object: how many of each call (`section.method`), how many
// events, and the signers by call. Exits non-zero on anything it cannot decode. The end-to-end
// test (node/tests/ursula_network.rs) runs it over the whole chain of its three-Ursula network,
// beside subxt and substrate-interface, after Ursulas committed, proved served work and redeemed
// tickets.
import { ApiPromise, WsProvider } from '@polkadot/api';

const [url, first, last] = process.argv.slice(2);
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });
const calls = {};
const signers = {};
let events = 0;
try {
  for (let number = Number(first); number <= Number(last); number += 1) {
    const hash = await api.rpc.chain.getBlockHash(number);
    if (hash.isEmpty) throw new Error(`no block ${number}`);
    const { block } = await api.rpc.chain.getBlock(hash);
    for (const extrinsic of block.extrinsics) {
      const name = `${extrinsic.method.section}.${extrinsic.method.method}`;
      // Every argument decoded, as a wallet or an explorer shows it.
      JSON.stringify(extrinsic.method.toHuman());
      calls[name] = (calls[name] ?? 0) + 1;
      if (extrinsic.isSigned) (signers[name] ??= new Set()).add(extrinsic.signer.toString());
    }
    const apiAt = await api.at(hash);
    for (const { event } of await apiAt.query.system.events()) {
      JSON.stringify(event.data.toHuman());
      events += 1;
    }
  }
  const bySigner = Object.fromEntries(Object.entries(signers).map(([name, who]) => [name, [...who].sort()]));
  console.log(JSON.stringify({ calls, events, signers: bySigner }));
} finally {
  await api.disconnect();
}
