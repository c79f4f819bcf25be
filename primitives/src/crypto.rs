//! Signature and key checks that the runtime, the node and the clients share, one home each.

use crate::UmbralPublicKey;

/// An sr25519 signature.
pub type Sr25519Signature = [u8; 64];

/// Whether `key` is a compressed secp256k1 point: what umbral-pre accepts as a public key.
pub fn is_umbral_public_key(key: &UmbralPublicKey) -> bool {
	umbral_pre::PublicKey::try_from_compressed_bytes(key).is_ok()
}

/// Whether `signature` is `signer`'s sr25519 signature of `payload`.
pub fn sr25519_signed(signer: &[u8; 32], payload: &[u8], signature: &Sr25519Signature) -> bool {
	use sp_runtime::traits::Verify;
	let signature = sp_core::sr25519::Signature::from_raw(*signature);
	signature.verify(payload, &sp_core::sr25519::Public::from_raw(*signer))
}

/// Whether `proof` is an ECDSA signature (secp256k1 over `blake2_256(payload)`, 65 bytes with
/// the recovery id, as Substrate's `ecdsa` keys sign) of `payload` by the secret of `key`, a
/// compressed secp256k1 point: the Umbral key's proof of possession.
pub fn ecdsa_signed(key: &[u8; 33], payload: &[u8], proof: &[u8; 65]) -> bool {
	use sp_runtime::traits::Verify;
	sp_core::ecdsa::Signature::from_raw(*proof)
		.verify(payload, &sp_core::ecdsa::Public::from_raw(*key))
}
