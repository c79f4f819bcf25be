// Bob in JavaScript: reads a file Enrico encrypted, asks the policy's Ursulas to re-encrypt its
// capsule (requests signed with Bob's sr25519 key, in the wire format of
// docs/wire-formats.md), checks every capsule fragment twice (the Ursula's signature, which
// makes it evidence, and umbral-pre's proof of correct re-encryption), and decrypts with any M
// of them. Runs in Node and in a browser (the Ursula endpoint answers CORS). Libraries are
// passed in, as in alice.js: `api` (@polkadot/api), `umbral` (@nucypher/umbral-pre).
//
// When the payer (the policy's owner, unless said otherwise) has authorized Bob for the policy,
// every request carries a lottery ticket against the payer's deposit (docs/lottery.md), as the
// Rust client's (node/src/clients/tickets.rs): its face value `odds` times the payer's price (at
// most the deposit), the win probability that makes it worth the price on average, the
// Ursula's current commitment, the current round and its first block, Bob's signature over the
// ticket and through it over the request.

import { WIRE_VERSION, bytesOf, hexOf } from './alice.js';

const ENCRYPTED_FILE = '(u8, [u8; 16], Bytes, Bytes)';
const REQUEST_BODY = '(u8, [u8; 16], AccountId32, AccountId32, u64, Vec<Bytes>)';
const RESPONSE = '(u8, [u8; 16], AccountId32, u32, Vec<(Bytes, [u8; 64])>)';
/** `Ticket`: version, payer, policy, recipient, face value, win probability (of 2^64), nonce,
 * commitment, created round and its first block's hash, last round, request hash. */
const TICKET = '(u8, AccountId32, [u8; 16], AccountId32, u128, u64, u64, [u8; 32], u32, [u8; 32], u32, [u8; 32])';
const TICKET_VERSION = 1;
const CERTAIN = (1n << 64n) - 1n;

/** `primitives::lottery::probability_for`: the chance, of 2^64, that makes a ticket of
 * `face` worth `price` on average (rounded up, so never worth less). */
export function probabilityFor(price, face) {
  if (price === 0n) return 0n;
  if (face <= price) return CERTAIN;
  const p = ((price << 64n) + face - 1n) / face;
  return p < CERTAIN ? p : CERTAIN;
}

/** What Bob needs to make tickets for `policy` paid by `payer`: `null` if the payer has not
 * authorized him (no funds, or a zero cap). */
async function ticketTerms(rpc, payer, policy, odds) {
  const funds = await rpc('keymarket_lotteryFunds', [payer, policy]);
  if (funds === null || BigInt(funds.cap) === 0n) return null;
  const price = BigInt(funds.price);
  if (price === 0n) throw new Error("the payer's price is zero: its tickets would never win");
  let face = price * BigInt(Math.max(1, odds));
  if (face > BigInt(funds.deposit)) face = BigInt(funds.deposit);
  if (face < price) throw new Error(`the payer's deposit (${funds.deposit}) cannot pay one ticket at its price (${price})`);
  const now = await rpc('keymarket_currentRound', []);
  const { blocksPerRound } = await rpc('keymarket_durations', []);
  const created = await rpc('chain_getBlockHash', [now * blocksPerRound]);
  if (created === null) throw new Error(`no block ${now * blocksPerRound}`);
  return {
    payer, face, probability: probabilityFor(price, face), now, created,
    expires: now + (await rpc('keymarket_ticketRounds', [])),
  };
}

/** `RequestError`'s variants, in their SCALE order (primitives/src/policies/wire.rs). */
export const REQUEST_ERRORS = [
  'Malformed', 'UnsupportedVersion', 'UnknownPolicy', 'PolicyRevoked', 'PolicyExpired',
  'PolicyNotStarted', 'NotAssigned', 'NotGrantee', 'BadSignature', 'ReplayedSequence',
  'MalformedCapsule', 'BadCapsuleCount', 'RateLimited', 'NoKeyFrag', 'Unavailable',
  'TicketRequired', 'Ticket',
];

/** `TicketError`'s variants, in their SCALE order (primitives/src/lottery.rs): the reason a
 * `Ticket` refusal carries in its next byte. */
export const TICKET_ERRORS = [
  'Malformed', 'WrongRecipient', 'BadSignature', 'NotAuthorized', 'WrongCommitment',
  'WrongReveal', 'BadCreation', 'Expired', 'Replayed', 'NotAWinner', 'Unfunded', 'OverCap',
  'WrongPrice',
];

/** Ticket refusals that say only that Bob's view of the chain is older than the Ursula's (its
 * commitment or the round moved on): a ticket made again from the chain may pass. */
const STALE_TICKET = new Set(['Ticket(WrongCommitment)', 'Ticket(BadCreation)', 'Ticket(Expired)']);

/** The name of a refusal's SCALE `RequestError` (after the wire version byte), with the
 * ticket's reason for a `Ticket` one: `undefined` if the bytes name none. */
export function refusalName(answer) {
  const name = answer.length >= 2 ? REQUEST_ERRORS[answer[1]] : undefined;
  if (name !== 'Ticket') return name;
  const reason = answer.length >= 3 ? TICKET_ERRORS[answer[2]] : undefined;
  return reason === undefined ? undefined : `Ticket(${reason})`;
}

const utf8 = (text) => new TextEncoder().encode(text);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The last sequence number this client used: microseconds since the epoch, as the Rust
 * client's, and never the same twice in one process. */
let lastSequence = 0n;
function freshSequence() {
  const now = BigInt(Date.now()) * 1000n;
  lastSequence = now > lastSequence ? now : lastSequence + 1n;
  return lastSequence;
}

/** Reads an encrypted file (`enrico encrypt`'s or `alice.js`'s `encrypt`). */
export function readEncryptedFile(api, bytes) {
  const [version, policy, capsule, ciphertext] = api.createType(ENCRYPTED_FILE, bytes);
  if (version.toNumber() !== WIRE_VERSION) throw new Error(`encrypted file version ${version}: this client reads ${WIRE_VERSION}`);
  return { policy: policy.toHex(), capsule: capsule.toU8a(true), ciphertext: ciphertext.toU8a(true) };
}

/**
 * Asks the Ursula `worker` (its endpoint from the chain) to re-encrypt `capsule` under
 * `policy` for `bob` (a keyring pair). Resolves with the checked fragment
 * (`{ ursula, fragment }`, an umbral-pre `VerifiedCapsuleFrag`) or the reason it was not had
 * (`{ ursula, refused | failed }`).
 */
/** The most an answer may take, and the largest one read (32 fragments fit many times). */
const ANSWER_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** `ask`, whatever happens: one Ursula's failure is its own, never the retrieval's. A ticket
 * refused as stale (the Ursula committed again, or a round began, since Bob read the chain) is
 * made again from the chain by `renew`, once, as the Rust client does. */
async function askUrsula(api, rpc, umbral, request, renew) {
  try {
    const answer = await ask(api, rpc, umbral, request);
    if (request.terms === null || !STALE_TICKET.has(answer.refused)) return answer;
    return await ask(api, rpc, umbral, { ...request, terms: await renew() });
  } catch (e) {
    return { ursula: request.worker, failed: `${e.message ?? e}` };
  }
}

async function ask(api, rpc, umbral, { view, worker, index, bob, keys, capsule, fetch, terms }) {
  const ursula = await rpc('keymarket_ursula', [worker]);
  if (ursula === null) return { ursula: worker, failed: 'not bonded' };
  const sequence = freshSequence();
  const body = api.createType(REQUEST_BODY, [
    WIRE_VERSION, view.id, worker, bob.address, sequence, [hexOf(capsule.bytes)],
  ]).toU8a();
  let request;
  if (terms === null) {
    // No ticket (SCALE's `None`): Bob signs the body.
    request = concat(body, bob.sign(concat(utf8('keymarket/request/v1'), body)), new Uint8Array([0]));
  } else {
    const commitment = await rpc('keymarket_lotteryCommitment', [worker]);
    if (commitment === null) return { ursula: worker, failed: 'it has not committed to a random value yet' };
    const ticket = api.createType(TICKET, [
      TICKET_VERSION, terms.payer, view.id, worker, terms.face, terms.probability, sequence,
      commitment.current, terms.now, terms.created, terms.expires, api.registry.hash(body),
    ]).toU8a();
    // Bob signs the ticket, which names the body by its hash: one signature for both.
    const signature = bob.sign(concat(utf8('keymarket/ticket/v1'), ticket));
    request = concat(body, signature, new Uint8Array([1]), ticket);
  }
  let status;
  let answer;
  try {
    const response = await fetch(`${ursula.endpoint}/v1/reencrypt`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: request,
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    status = response.status;
    if (Number(response.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) {
      return { ursula: worker, failed: 'an answer too large' };
    }
    answer = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    return { ursula: worker, failed: `no answer from ${ursula.endpoint}: ${e.message}` };
  }
  if (status !== 200) {
    return { ursula: worker, refused: refusalName(answer) ?? `HTTP ${status}` };
  }
  let decoded;
  try {
    decoded = api.createType(RESPONSE, answer);
  } catch {
    return { ursula: worker, failed: 'an answer that is not a response' };
  }
  const [, policy, from, servedAt, cfrags] = decoded;
  if (policy.toHex() !== view.id || from.toString() !== worker || cfrags.length !== 1) {
    return { ursula: worker, failed: 'an answer for another request' };
  }
  const [cfragBytes, cfragSignature] = cfrags[0];
  const cfrag = cfragBytes.toU8a(true);
  // The Ursula's signature, by the key it registered when the policy was made.
  const signed = concat(
    utf8('keymarket/cfrag/v1'),
    policy.toU8a(), from.toU8a(), servedAt.toU8a(),
    api.registry.hash(capsule.bytes).toU8a(), api.registry.hash(cfrag).toU8a(),
  );
  if (!bob.verify(signed, cfragSignature.toU8a(), bytesOf(view.signingKeys[index]))) {
    return { ursula: worker, failed: 'a fragment not signed by the Ursula' };
  }
  try {
    const fragment = umbral.CapsuleFrag.fromBytes(cfrag)
      .verify(capsule.capsule, keys.verifying, keys.policy, keys.bob);
    return { ursula: worker, fragment };
  } catch (e) {
    return { ursula: worker, failed: `a wrong fragment: ${e}` };
  }
}

/**
 * Retrieves and decrypts `file` (an encrypted file's bytes) as `bob` (a keyring pair: his
 * account, which signs the requests) with his Umbral secret key `bobSecret` (`bobKey` of
 * alice.js). Asks every Ursula of the policy at once, each request with a ticket when `payer`
 * (by default the policy's owner) has authorized Bob, one in about `odds` winning; resolves
 * with the plaintext once M fragments are checked, or throws naming each Ursula and why it did
 * not count.
 */
export async function retrieve(api, rpc, umbral, {
  bob, bobSecret, file, payer, odds = 100, fetch = globalThis.fetch,
}) {
  const { policy, capsule: capsuleBytes, ciphertext } = readEncryptedFile(api, file);
  const view = await rpc('keymarket_policy', [policy]);
  if (view === null) throw new Error(`policy ${policy}: no such policy`);
  const bobKey = hexOf(bobSecret.publicKey().toCompressedBytes());
  if (view.bob !== bob.address || view.bobKey !== bobKey) {
    throw new Error(`policy ${policy}: granted to ${view.bob} (key ${view.bobKey}), not to this Bob`);
  }
  const keys = {
    verifying: umbral.PublicKey.fromCompressedBytes(bytesOf(view.verifyingKey)),
    policy: umbral.PublicKey.fromCompressedBytes(bytesOf(view.policyKey)),
    bob: bobSecret.publicKey(),
  };
  const capsule = { bytes: capsuleBytes, capsule: umbral.Capsule.fromBytes(capsuleBytes) };
  const renew = () => ticketTerms(rpc, payer ?? view.owner, policy, odds);
  const terms = await renew();
  const answers = await Promise.all(view.ursulas.map((worker, index) =>
    askUrsula(api, rpc, umbral, { view, worker, index, bob, keys, capsule, fetch, terms }, renew)));
  const fragments = answers.filter((a) => a.fragment).map((a) => a.fragment);
  if (fragments.length < view.threshold) {
    const why = answers.filter((a) => !a.fragment)
      .map((a) => `${a.ursula}: ${a.refused ?? a.failed}`).join('; ');
    throw new Error(`policy ${policy}: ${fragments.length} of ${view.threshold} fragments needed (${why})`);
  }
  return umbral.decryptReencrypted(
    bobSecret, keys.policy, capsule.capsule, fragments.slice(0, view.threshold), ciphertext,
  );
}
