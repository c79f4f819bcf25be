//! What the staking pallet shows integrators: the network stage, stakers, Ursulas, and the
//! runtime API that serves them (RPC `keymarket_*` methods wrap it).

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::sampling::SamplingError;

pub use crate::time::Period;

/// The stage of the network, which decides how Ursulas are paid.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Stage {
	/// Early network: inflation pays for availability (committed periods).
	#[default]
	Inflation,
	/// The supply cap is reached (or governance said so): fees pay for served requests.
	FeesOnly,
}

/// A sub-stake as integrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct SubStakeView<Balance> {
	/// The tokens in the sub-stake.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub value: Balance,
	/// Periods its lock still has to run (zero: unlocked).
	pub remaining_periods: u32,
	/// The period it was created in.
	pub first_period: Period,
}

/// A staker as integrators see it, brought up to the current period.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display",
			deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct StakerView<AccountId, Balance> {
	/// Tokens whose lock has not run out.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub locked: Balance,
	/// Tokens still held but withdrawable.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub unlocked: Balance,
	/// The sub-stakes, by index.
	pub sub_stakes: Vec<SubStakeView<Balance>>,
	/// Whether locks shorten each period.
	pub wind_down: bool,
	/// Whether rewards are locked into the stake.
	pub restake: bool,
	/// The bonded worker.
	pub worker: Option<AccountId>,
	/// Committed periods whose reward has not been minted yet.
	pub unrewarded_periods: Vec<Period>,
	/// The most recent periods the worker missed, as inclusive ranges.
	pub downtime: Vec<(Period, Period)>,
}

/// An Ursula (a bonded worker) as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display",
			deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct UrsulaView<AccountId, Balance> {
	/// The worker account (the Ursula node's key).
	pub worker: AccountId,
	/// The staker behind it.
	pub staker: AccountId,
	/// Where Bobs reach it, as registered (UTF-8 expected, not enforced).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::text"))]
	pub endpoint: Vec<u8>,
	/// Its Umbral public key (compressed secp256k1 point).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub umbral_key: [u8; 33],
	/// Its sr25519 signing key.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub signing_key: [u8; 32],
	/// Whether endpoint and keys are registered.
	pub registered: bool,
	/// In an active set: the stake committed for the period, the Ursula's weight in sampling;
	/// for a single Ursula: its staker's stake locked now.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub locked: Balance,
	/// The last period the worker committed to.
	pub last_committed_period: Option<Period>,
}

/// The bytes a worker's two keys sign when it registers them: proof that whoever registers
/// them holds their secrets, so that the keys that judge its capsule fragments and receive its
/// key fragments are really its own. Binds the worker account and both keys.
pub fn registration_payload(
	worker: &impl Encode,
	umbral_key: &[u8; 33],
	signing_key: &[u8; 32],
) -> Vec<u8> {
	let mut payload = b"keymarket/register/v1".to_vec();
	(worker, umbral_key, signing_key).encode_to(&mut payload);
	payload
}

/// The Umbral key's proof of possession, made with its secret (the Ursula's node and tests).
#[cfg(feature = "std")]
pub fn prove_umbral_key(secret: &umbral_pre::SecretKey, payload: &[u8]) -> [u8; 65] {
	use sp_core::Pair;
	let bytes = secret.to_be_bytes();
	let pair = sp_core::ecdsa::Pair::from_seed_slice(bytes.as_secret().as_slice())
		.expect("an Umbral secret is a secp256k1 scalar of 32 bytes");
	pair.sign(payload).0
}

sp_api::decl_runtime_apis! {
	/// Stakes, Ursulas and sampling for integrators and clients.
	///
	/// Version 2 adds the chain's durations and the current round.
	#[api_version(2)]
	pub trait StakingApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// The current period.
		fn current_period() -> Period;
		/// The current round.
		#[api_version(2)]
		fn current_round() -> crate::time::Round;
		/// The chain's durations, as its genesis set them.
		#[api_version(2)]
		fn durations() -> crate::time::Durations;
		/// The network stage.
		fn stage() -> Stage;
		/// A staker's stakes, switches and worker.
		fn staker(who: AccountId) -> Option<StakerView<AccountId, Balance>>;
		/// A bonded worker.
		fn ursula(worker: AccountId) -> Option<UrsulaView<AccountId, Balance>>;
		/// The active Ursulas of `period` (registered, committed to it, with stake locked),
		/// ordered by worker account: the list that sampling draws from.
		fn active_ursulas(period: Period) -> Vec<UrsulaView<AccountId, Balance>>;
		/// `n` distinct active Ursulas of `period`, drawn by locked stake from `seed`'s hash chain.
		fn sample(seed: [u8; 32], n: u32, period: Period) -> Result<Vec<AccountId>, SamplingError>;
	}
}

/// The codes of `InvalidTransaction::Custom` with which the pool refuses a worker's duty
/// transaction (today the commitment), named once for the runtime, the node, docs and tests.
pub mod validity {
	/// The sender is not a bonded worker.
	pub const NOT_A_WORKER: u8 = 1;
	/// The worker has not registered its endpoint and keys.
	pub const NOT_REGISTERED: u8 = 2;
	/// The worker's staker has less than the minimum stake locked through the period.
	pub const NOT_ENOUGH_STAKE: u8 = 3;

	/// A pallet's error as the validity code of a duty that would fail with it: its index in
	/// the pallet's error enum (the gateway and lottery duties).
	pub fn of_error(
		error: impl codec::Encode,
	) -> sp_runtime::transaction_validity::InvalidTransaction {
		let index = error.encode().first().copied().unwrap_or(u8::MAX);
		sp_runtime::transaction_validity::InvalidTransaction::Custom(index)
	}
}

/// The keystore key type of an Ursula's worker key: the account that commits for its staker.
/// Insert it with `keymarket-node key insert --key-type ursw` or RPC `author_insertKey`.
pub const WORKER_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"ursw");
