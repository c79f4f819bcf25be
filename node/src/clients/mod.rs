//! The clients a person runs from a shell: `keymarket-node alice|enrico|bob …`. They talk to a
//! node's RPC (`--rpc http://127.0.0.1:9944`) and to Ursula endpoints; secret keys stay in the
//! key files they make. Every message is specified in docs/wire-formats.md.

pub mod alice;
pub mod bob;
pub mod chain;
pub mod complaint;
pub mod enrico;
pub mod load;
pub mod rpc;
#[cfg(test)]
mod rpc_tests;
pub mod tickets;
pub mod ursula_api;

use std::path::{Path, PathBuf};

use codec::{Decode, Encode};
use keymarket_primitives::policies::{PolicyId, UmbralPublicKey};
use serde_json::json;
use umbral_pre::{SecretKey, SecretKeyFactory};

/// The RPC endpoint flag every client takes.
#[derive(Debug, Clone, clap::Args)]
pub struct RpcFlag {
	/// The node's JSON-RPC endpoint.
	#[arg(long, value_name = "URL", default_value = "http://127.0.0.1:9944")]
	pub rpc: String,
}

/// A key file: 32 secret bytes (hex, JSON) from which the Umbral keys are derived with
/// umbral-pre's `SecretKeyFactory`. Written with mode 0600.
pub struct KeyFile {
	factory: SecretKeyFactory,
}

impl KeyFile {
	/// Makes a new random key file at `path`; refuses to overwrite one.
	pub fn create(path: &Path) -> Result<Self, String> {
		let mut seed = [0u8; 32];
		getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
		let text = json!({ "version": 1, "seed": chain::hex_of(&seed) }).to_string();
		let mut options = std::fs::OpenOptions::new();
		options.write(true).create_new(true);
		#[cfg(unix)]
		std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
		let mut file =
			options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
		std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| e.to_string())?;
		Self::from_seed(&seed)
	}

	/// Reads the key file at `path`.
	pub fn open(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		let value: serde_json::Value =
			serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
		let seed =
			value["seed"].as_str().ok_or_else(|| format!("{} has no seed", path.display()))?;
		Self::from_seed(&chain::array_of::<32>(seed)?)
	}

	fn from_seed(seed: &[u8; 32]) -> Result<Self, String> {
		Ok(Self {
			factory: SecretKeyFactory::from_secure_randomness(seed).map_err(|e| e.to_string())?,
		})
	}

	/// The key derived for `label`.
	pub fn key(&self, label: &[u8]) -> SecretKey {
		self.factory.make_key(label)
	}
}

/// An Umbral public key's 33 bytes.
pub fn public_bytes(key: &umbral_pre::PublicKey) -> UmbralPublicKey {
	key.to_compressed_bytes().as_ref().try_into().expect("a compressed point is 33 bytes")
}

/// An Umbral public key from hex.
pub fn public_key(text: &str) -> Result<umbral_pre::PublicKey, String> {
	umbral_pre::PublicKey::try_from_compressed_bytes(&chain::array_of::<33>(text)?)
}

/// A policy id from hex.
pub fn policy_id(text: &str) -> Result<PolicyId, String> {
	chain::array_of::<16>(text)
}

/// An sr25519 key pair from a secret URI (`//Bob`, a mnemonic, a hex seed).
pub fn signer(suri: &str) -> Result<sp_core::sr25519::Pair, String> {
	<sp_core::sr25519::Pair as sp_core::Pair>::from_string(suri, None)
		.map_err(|e| format!("bad --suri: {e:?}"))
}

/// What Enrico writes: a file encrypted under a policy's key.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EncryptedFile {
	/// `keymarket_primitives::policies::WIRE_VERSION`.
	pub version: u8,
	/// The policy whose key it is encrypted under.
	pub policy: PolicyId,
	/// umbral-pre capsule bytes.
	pub capsule: Vec<u8>,
	/// umbral-pre ciphertext.
	pub ciphertext: Vec<u8>,
}

/// Writes `bytes` to `path`, saying what failed.
pub fn write(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
	std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads `path`, saying what failed.
pub fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
	std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
