// What an integrator reads from a Keymarket node, with @polkadot/api and no custom type
// definitions: a policy, an Ursula's stake and history, and the events of a block. Every read
// is pinned to one block, so the three agree with each other. The polkadot.js tests run these
// against a real dev node (node/tests/polkadotjs/policies.test.js); docs/rpc.md explains the
// methods behind them.
//
//   const api = await ApiPromise.create({ provider });
//   const rpc = (method, params) => provider.send(method, params);
//   const at = (await api.rpc.chain.getFinalizedHead()).toHex();
//   await readPolicy(api, rpc, '0x07070707070707070707070707070707', at);

/**
 * A policy as the `keymarket_policy` method gives it at block `at`, beside the raw storage the
 * view is made from (`Policies.Policies`, decoded with the chain's own metadata). Throws when
 * the two disagree; `null` when there is no such policy.
 */
export async function readPolicy(api, rpc, id, at) {
  const view = await rpc('keymarket_policy', [id, at]);
  const stored = await (await api.at(at)).query.policies.policies(id);
  if (view === null || stored.isNone) {
    if ((view === null) !== stored.isNone) throw new Error(`policy ${id}: the RPC and the storage disagree`);
    return null;
  }
  const raw = stored.unwrap();
  const escrow = raw.escrow.toBigInt();
  if (BigInt(view.escrow) !== escrow) throw new Error(`policy ${id}: escrow ${view.escrow} != ${escrow}`);
  return {
    id,
    owner: view.owner,
    bob: view.bob,
    ursulas: view.ursulas,
    status: typeof view.status === 'string' ? view.status : Object.keys(view.status)[0],
    start: view.start,
    end: view.end,
    escrow,
    paid: BigInt(view.paid),
  };
}

/**
 * An Ursula (a worker account) at block `at`: its registration, its staker's stake (locked
 * now, in sub-stakes) and the staker's slashing history. `null` when `worker` is not bonded.
 */
export async function readUrsula(api, rpc, worker, at) {
  const ursula = await rpc('keymarket_ursula', [worker, at]);
  if (ursula === null) return null;
  const staker = await rpc('keymarket_staker', [ursula.staker, at]);
  const history = await rpc('keymarket_slashingHistory', [ursula.staker, at]);
  const pending = await rpc('keymarket_pendingSlashes', [ursula.staker, at]);
  return {
    worker,
    staker: ursula.staker,
    endpoint: ursula.endpoint,
    registered: ursula.registered,
    lastCommittedPeriod: ursula.lastCommittedPeriod,
    locked: BigInt(ursula.locked),
    subStakes: staker.subStakes.map((s) => ({ value: BigInt(s.value), remainingPeriods: s.remainingPeriods })),
    offences: history.length,
    history,
    pendingSlashes: pending.length,
  };
}

/**
 * The events of block `hash`: each with the extrinsic it came from (index, signer, call) or
 * the block's phase, its pallet and name, and its fields by name (as `toPrimitive` gives them:
 * numbers beyond 2^53 as decimal strings, accounts in SS58, bytes in hex).
 */
export async function blockEvents(api, hash) {
  const [block, events] = await Promise.all([
    api.rpc.chain.getBlock(hash),
    (await api.at(hash)).query.system.events(),
  ]);
  const extrinsics = block.block.extrinsics;
  return events.map(({ phase, event }) => {
    const names = event.meta.fields.map((f, i) => (f.name.isSome ? f.name.unwrap().toString() : String(i)));
    const fields = Object.fromEntries(
      event.data.map((value, i) => [names[i], value.toPrimitive()]),
    );
    const entry = { pallet: event.section, event: event.method, fields };
    if (phase.isApplyExtrinsic) {
      const index = phase.asApplyExtrinsic.toNumber();
      const extrinsic = extrinsics[index];
      entry.extrinsic = {
        index,
        signer: extrinsic.isSigned ? extrinsic.signer.toString() : null,
        call: `${extrinsic.method.section}.${extrinsic.method.method}`,
      };
    } else {
      entry.phase = phase.type;
    }
    return entry;
  });
}
