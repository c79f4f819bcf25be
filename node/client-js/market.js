// Keymarket's market for JavaScript clients: Alice's draw of the Ursulas whose terms fit her
// offer, made here from the chain's public state exactly as the runtime makes it
// (`keymarket_primitives::market::draw` over `sampling::sample_weighted`), so that a browser or
// a script can choose Ursulas without trusting a node's `keymarket_sampleFitting`, and anyone
// can check a draw an Alice published (its seed and block). Also the quote and the explanation
// of a failed draw. Dependency-free: hashing is the api's registry's (BLAKE2b-256), and `rpc` is
// any function that sends a JSON-RPC request to a node (e.g. `WsProvider.send`).

const DRAW_DOMAIN = 'keymarket/draw/v1';

function hexToBytes(hex) {
  const digits = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || /[^0-9a-fA-F]/.test(digits)) throw new Error(`not hex: ${hex}`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function bytesToHex(bytes) {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const hash = (api, bytes) => api.registry.hash(bytes).toU8a();

/** The seed of the draw for policy `policyId` (16 bytes, hex): BLAKE2b-256 of the domain and the id. */
export function drawSeed(api, policyId) {
  const id = hexToBytes(policyId);
  if (id.length !== 16) throw new Error(`a policy id is 16 bytes, not ${id.length}`);
  const domain = new TextEncoder().encode(DRAW_DOMAIN);
  const bytes = new Uint8Array(domain.length + id.length);
  bytes.set(domain);
  bytes.set(id, domain.length);
  return bytesToHex(hash(api, bytes));
}

/**
 * `n` distinct indices of `weights` (BigInts), each drawn with probability proportional to its
 * weight among those left, from the hash chain of `seed`: `h1 = H(seed)`, `h(j+1) = H(h_j)`, the
 * point the first 16 bytes as a little-endian integer modulo the weight left. Zero weights are
 * never drawn; `null` when fewer than `n` weights are positive.
 */
export function sampleWeighted(api, seed, weights, n) {
  if (weights.filter((w) => w > 0n).length < n) return null;
  const left = [...weights];
  let total = left.reduce((a, b) => a + b, 0n);
  let current = hexToBytes(seed);
  const chosen = [];
  for (let j = 0; j < n; j += 1) {
    current = hash(api, current);
    let point = 0n;
    for (let i = 15; i >= 0; i -= 1) point = (point << 8n) | BigInt(current[i]);
    point %= total;
    let index = 0;
    while (point >= left[index]) {
      point -= left[index];
      index += 1;
    }
    total -= left[index];
    left[index] = 0n;
    chosen.push(index);
  }
  return chosen;
}

/** The last period through which `staker` (a `keymarket_staker` view) keeps `minStake` locked; `null`: its locks stand still. */
export function lockedThrough(staker, minStake, now) {
  if (!staker.windDown) return null;
  const locks = staker.subStakes
    .map((s) => [s.remainingPeriods, BigInt(s.value)])
    .sort((a, b) => b[0] - a[0]);
  let locked = 0n;
  for (const [remaining, value] of locks) {
    locked += value;
    if (locked >= minStake) return Math.max(now + remaining - 1, 0);
  }
  return Math.max(now - 1, 0);
}

/**
 * Draws `n` Ursulas of the current active set that fit `rate` (per Ursula per period, BigInt)
 * and a policy ending at period `end`, from `seed`, reading everything at block `at`:
 * `{ ursulas }`, or `{ noMatch }` with the count of each obstacle and the lowest rate that would
 * do, as the runtime answers. `rpc(method, params)` sends a JSON-RPC request to the node.
 */
export async function drawFitting(api, rpc, { seed, n, rate, end, at: atBlock }) {
  // Every read at one block: the best one unless the caller names it.
  const at = atBlock ?? (await rpc('chain_getBlockHash', []));
  const now = await rpc('keymarket_currentPeriod', [at]);
  const active = await rpc('keymarket_activeUrsulas', [now, at]);
  const minStake = api.consts.staking.minStake.toBigInt();
  const noMatch = { wanted: n, active: 0, fitting: 0, full: 0, unlocksEarly: 0, rateTooLow: 0, lowestRate: null };
  const rates = [];
  const weights = [];
  for (const ursula of active) {
    const stake = BigInt(ursula.locked);
    if (stake === 0n) {
      weights.push(0n);
      continue;
    }
    noMatch.active += 1;
    const terms = await rpc('keymarket_terms', [ursula.worker, at]);
    const through = lockedThrough(await rpc('keymarket_staker', [ursula.staker, at]), minStake, now);
    const ask = BigInt(terms.inForce.minFeeRate);
    let weight = 0n;
    if (terms.freePlaces === 0) noMatch.full += 1;
    else if (through !== null && through + 1 < end) noMatch.unlocksEarly += 1;
    else {
      rates.push(ask);
      if (ask > rate) noMatch.rateTooLow += 1;
      else {
        noMatch.fitting += 1;
        weight = stake;
      }
    }
    weights.push(weight);
  }
  const chosen = n > 0 && noMatch.fitting >= n ? sampleWeighted(api, seed, weights, n) : null;
  if (chosen) return { ursulas: chosen.map((i) => active[i].worker) };
  rates.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  noMatch.lowestRate = n > 0 && rates.length >= n ? rates[n - 1].toString() : null;
  return { noMatch };
}

/** A failed draw in one sentence, as the Rust client says it. */
export function explainNoMatch(noMatch) {
  let text = `${noMatch.fitting} of ${noMatch.active} active Ursulas fit, ${noMatch.wanted} are needed: `
    + `${noMatch.full} full, ${noMatch.unlocksEarly} unlock before the policy ends, ${noMatch.rateTooLow} ask a higher rate`;
  if (noMatch.lowestRate === null) text += '; no rate would find enough: fewer Ursulas or a shorter policy';
  else if (noMatch.rateTooLow > 0) text += `; a rate of ${noMatch.lowestRate} would find ${noMatch.wanted}`;
  return text;
}

/**
 * What a policy of `n` Ursulas at `rate` for `periods` periods costs at block `at` (default: the
 * best), as BigInts: the node computes it with the prices in force there (governance may change
 * them, which metadata constants cached by a client would miss). `null` if it overflows.
 */
export async function quote(rpc, n, rate, periods, at) {
  const answer = await rpc('keymarket_quote', [n, rate.toString(), periods, at ?? null]).catch((e) => {
    if (/-32602/.test(e.message)) return null;
    throw e;
  });
  if (answer === null) return null;
  return Object.fromEntries(Object.entries(answer).map(([k, v]) => [k, BigInt(v)]));
}
