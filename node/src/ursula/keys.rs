//! The Ursula's keys, all in the node's keystore: the worker key (`ursw`, sr25519: the worker
//! account, which also signs capsule fragments) and the Umbral key (`umbr`, a secp256k1 secret
//! kept as an ecdsa key, so that `key insert --scheme ecdsa` and `author_insertKey` manage it and
//! it survives restarts). The Umbral key pair is derived from that secret with umbral-pre's
//! `SecretKeyFactory` (label `keymarket/ursula`); its public key is what the worker registers.

use keymarket_primitives::{
	policies::{UmbralPublicKey, UMBRAL_KEY_TYPE},
	staking::WORKER_KEY_TYPE,
	AccountId,
};
use keymarket_runtime::configs::worker_key;
use sc_keystore::LocalKeystore;
use sp_core::{crypto::Pair as _, sr25519};
use sp_keystore::Keystore;

/// The Umbral key's application crypto: ecdsa under key type `umbr`.
pub mod umbral_app {
	use keymarket_primitives::policies::UMBRAL_KEY_TYPE;
	use sp_runtime::app_crypto::{app_crypto, ecdsa};
	app_crypto!(ecdsa, UMBRAL_KEY_TYPE);
}

/// What an Ursula signs and decrypts with. Never leaves the node.
pub struct UrsulaSecrets {
	/// The worker account.
	pub worker: AccountId,
	/// The worker's sr25519 pair: signs capsule fragments (the registered signing key).
	pub signer: sr25519::Pair,
	/// The Umbral secret key: opens key fragments.
	pub umbral: umbral_pre::SecretKey,
	/// Its public key, as registered on chain.
	pub umbral_public: UmbralPublicKey,
}

/// Loads the keys of the first worker key in the keystore; makes an Umbral key if there is none
/// (it is written to the keystore, so the next start finds it). `None` without a worker key.
pub fn load(keystore: &LocalKeystore) -> Result<Option<UrsulaSecrets>, String> {
	let Some(worker_public) = keystore.sr25519_public_keys(WORKER_KEY_TYPE).into_iter().next()
	else {
		return Ok(None);
	};
	let signer = keystore
		.key_pair::<worker_key::Pair>(&worker_public.into())
		.map_err(|e| format!("cannot read the worker key: {e}"))?
		.ok_or("the worker key has no secret in the keystore")?
		.into_inner();
	let umbral_stored = match keystore.ecdsa_public_keys(UMBRAL_KEY_TYPE).into_iter().next() {
		Some(public) => public,
		None => {
			let public = keystore
				.ecdsa_generate_new(UMBRAL_KEY_TYPE, None)
				.map_err(|e| format!("cannot make an Umbral key: {e}"))?;
			log::info!(target: "ursula", "made a new Umbral key seed (keystore key 0x{})", hex::encode(public.0));
			public
		},
	};
	let pair = keystore
		.key_pair::<umbral_app::Pair>(&umbral_stored.into())
		.map_err(|e| format!("cannot read the Umbral key: {e}"))?
		.ok_or("the Umbral key has no secret in the keystore")?
		.into_inner();
	let umbral = umbral_secret(&pair.seed())?;
	let umbral_public = umbral
		.public_key()
		.to_compressed_bytes()
		.as_ref()
		.try_into()
		.map_err(|_| "an Umbral public key is 33 bytes")?;
	Ok(Some(UrsulaSecrets {
		worker: AccountId::from(signer.public().0),
		umbral,
		umbral_public,
		signer,
	}))
}

/// The Umbral secret key derived from the `umbr` keystore secret `seed`.
pub fn umbral_secret(seed: &[u8; 32]) -> Result<umbral_pre::SecretKey, String> {
	let factory = umbral_pre::SecretKeyFactory::from_secure_randomness(seed)
		.map_err(|e| format!("bad Umbral seed: {e}"))?;
	Ok(factory.make_key(b"keymarket/ursula"))
}
