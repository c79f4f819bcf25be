// Alice and Enrico in JavaScript: a policy's key fragments made with @nucypher/umbral-pre (its
// bytes are the Rust crate's: the Ursulas read them as they read the Rust client's), each sealed
// with the policy it is for to its Ursula's Umbral key, the grant built with @polkadot/api from
// the chain's metadata alone, and files encrypted under a policy's key in the format the Rust
// client's `bob retrieve` reads. Both libraries are passed in (`api`, `umbral`), so that the page
// or program using this module chooses their versions and their builds (Node or browser).
//
// The wire formats are docs/wire-formats.md's; the key file is the Rust client's
// (`{"version":1,"seed":"0x…"}`: every key is derived from the seed by label), so a key file
// made by either client works in the other.

/** `keymarket_primitives::policies::WIRE_VERSION`. */
export const WIRE_VERSION = 1;

/** SCALE shapes, from primitive types the metadata always has: no custom type definitions.
 * (polkadot.js reads a `Uint8Array` given for `Bytes` as already length-prefixed: bytes go in
 * as hex.) */
const BOUND_KEY_FRAG = '(u8, [u8; 16], AccountId32, AccountId32, [u8; 33], u32, Bytes)';
const ENCRYPTED_KEY_FRAG = '(u8, Bytes, Bytes)';
const ENCRYPTED_FILE = '(u8, [u8; 16], Bytes, Bytes)';

const utf8 = (text) => new TextEncoder().encode(text);

/** The bytes of a hex string (with or without `0x`); throws on anything else. */
export function bytesOf(hex) {
  const digits = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || /[^0-9a-fA-F]/.test(digits)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** `0x`-prefixed hex of `bytes`. */
export function hexOf(bytes) {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A new key file's text: 32 random bytes of seed, as `alice keygen` writes it. */
export function newKeyFile() {
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
  return JSON.stringify({ version: 1, seed: hexOf(seed) });
}

/** Alice's keys for the policy labelled `label`, from a key file's text: the policy's
 * (delegating) key `policy/<label>` and the signer of its key fragments `signer`. */
export function aliceKeys(umbral, keyFile, label) {
  const { version, seed } = JSON.parse(keyFile);
  if (version !== 1) throw new Error(`key file version ${version}: this client reads version 1`);
  const factory = umbral.SecretKeyFactory.fromSecureRandomness(bytesOf(seed));
  return {
    delegating: factory.makeKey(utf8(`policy/${label}`)),
    signer: new umbral.Signer(factory.makeKey(utf8('signer'))),
  };
}

/** Bob's Umbral key pair from his key file's text, as `bob keygen` derives it. */
export function bobKey(umbral, keyFile) {
  const { version, seed } = JSON.parse(keyFile);
  if (version !== 1) throw new Error(`key file version ${version}: this client reads version 1`);
  return umbral.SecretKeyFactory.fromSecureRandomness(bytesOf(seed)).makeKey(utf8('bob'));
}

/** One key fragment sealed for the policy `binding` describes and encrypted to `ursulaKey`
 * (33 bytes, hex): the SCALE `EncryptedKeyFrag` that goes on chain. */
export function sealKeyFragment(api, umbral, kfrag, binding, ursulaKey) {
  const bound = api.createType(BOUND_KEY_FRAG, [
    WIRE_VERSION, binding.policy, binding.owner, binding.bob, binding.bobKey, binding.end,
    hexOf(kfrag.toBytes()),
  ]);
  const key = umbral.PublicKey.fromCompressedBytes(bytesOf(ursulaKey));
  const [capsule, ciphertext] = umbral.encrypt(key, bound.toU8a());
  return api.createType(ENCRYPTED_KEY_FRAG, [WIRE_VERSION, hexOf(capsule.toBytes()), hexOf(ciphertext)]).toHex();
}

/**
 * Alice's grant: `policies.createPolicy` for the policy `policy` (16 bytes, hex) to Bob's
 * account `bob` and Umbral key `bobKey` (hex), served by `ursulas` (worker accounts, in
 * key-fragment order), `threshold` of them needed, from period `start` for `periods` periods at
 * `rate` per Ursula per period and `price` per request (paid by tickets). Reads each Ursula's
 * Umbral key with `rpc` (`keymarket_ursula`); signed and sent by the caller. Resolves with the
 * transaction and the policy's public keys.
 */
export async function grant(api, rpc, umbral, {
  owner, keys, policy, bob, bobKey: bobKeyHex, ursulas, threshold, start, periods, rate, price = 0n,
}) {
  if (!(threshold >= 1 && threshold <= ursulas.length)) {
    throw new Error(`the threshold must be 1 to ${ursulas.length} (the Ursulas)`);
  }
  const ursulaKeys = [];
  for (const worker of ursulas) {
    const view = await rpc('keymarket_ursula', [worker]);
    if (view === null) throw new Error(`Ursula ${worker} is not bonded`);
    ursulaKeys.push(view.umbralKey);
  }
  const bobKey = umbral.PublicKey.fromCompressedBytes(bytesOf(bobKeyHex));
  const kfrags = umbral.generateKFrags(
    keys.delegating, bobKey, keys.signer, threshold, ursulas.length, true, true,
  );
  const end = start + periods;
  const binding = { policy, owner, bob, bobKey: bobKeyHex, end };
  const sealed = kfrags.map((kfrag, i) => sealKeyFragment(api, umbral, kfrag, binding, ursulaKeys[i]));
  const policyKey = hexOf(keys.delegating.publicKey().toCompressedBytes());
  const verifyingKey = hexOf(keys.signer.verifyingKey().toCompressedBytes());
  const tx = api.tx.policies.createPolicy(policy, {
    bob, bobKey: bobKeyHex, verifyingKey, policyKey, threshold, start, end, rate, price,
  }, ursulas, sealed);
  return { tx, policyKey, verifyingKey, end };
}

/** Enrico: `plaintext` encrypted under the policy's key (`policyKey`, hex, from the chain),
 * as the SCALE file `enrico encrypt` writes and `bob retrieve` reads. */
export function encrypt(api, umbral, policy, policyKey, plaintext) {
  const key = umbral.PublicKey.fromCompressedBytes(bytesOf(policyKey));
  const [capsule, ciphertext] = umbral.encrypt(key, plaintext);
  return api.createType(ENCRYPTED_FILE, [WIRE_VERSION, policy, hexOf(capsule.toBytes()), hexOf(ciphertext)]).toU8a();
}
