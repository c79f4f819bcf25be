//! The worker key: the sr25519 key (key type [`WORKER_KEY_TYPE`], `ursw`) with which the node's
//! off-chain worker signs its worker's duty transactions. It lives beside the pallet that
//! checks its signatures; the runtime names [`WorkerAuthId`] as `Config::WorkerKey`, and the node
//! reads [`Pair`] from its keystore.

use keymarket_primitives::staking::WORKER_KEY_TYPE;
use sp_runtime::{
	app_crypto::{app_crypto, sr25519},
	MultiSignature, MultiSigner,
};

app_crypto!(sr25519, WORKER_KEY_TYPE);

/// How the off-chain worker signs with the worker key for an account of the runtime's
/// `MultiSigner` kind.
pub struct WorkerAuthId;

impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for WorkerAuthId {
	type RuntimeAppPublic = Public;
	type GenericPublic = sr25519::Public;
	type GenericSignature = sr25519::Signature;
}
