//! Access policies: what the policies pallet, the Ursula service and the clients agree on.
//!
//! - On chain: the policy as integrators see it ([`PolicyView`]) and the runtime API. (How the
//!   policies pallet reads the staking pallet is [`crate::registry`].)
//! - Off chain: the messages between Alice, Bob and the Ursulas (SCALE, each starting with
//!   [`WIRE_VERSION`]), the byte strings that get signed, and the one check of a capsule fragment
//!   that the adjudicator in the runtime and Bob's client both run ([`judge_cfrag`]).
//!
//! One module per concern: this one the policy's identity, life and view and the runtime API;
//! [`wire`] the messages and signed payloads; [`adjudication`] the judgement of a capsule
//! fragment. Their items are re-exported here, so `keymarket_primitives::policies::X` names
//! each.
//!
//! Capsules, key fragments and capsule fragments travel as umbral-pre's own bytes (MessagePack),
//! so umbral-pre's Python and JavaScript packages can talk to Keymarket's Ursulas.
//! `docs/wire-formats.md` specifies every message byte by byte.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::staking::Period;

/// A policy's id: 16 bytes that Alice picks (at random), so she knows it before she submits.
pub type PolicyId = [u8; 16];

pub use crate::UmbralPublicKey;

pub use crate::crypto::Sr25519Signature;

/// The keystore key type of an Ursula's Umbral key: a secp256k1 secret kept as an ecdsa key.
/// Insert it with `keymarket-node key insert --key-type umbr --scheme ecdsa`, or let the node
/// make one.
pub const UMBRAL_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"umbr");

/// The longest capsule accepted, in umbral-pre bytes (a capsule takes 105).
pub const MAX_CAPSULE_LEN: u32 = 256;

/// The longest capsule fragment accepted, in umbral-pre bytes (a fragment takes 381).
pub const MAX_CFRAG_LEN: u32 = 1024;

/// Where a policy is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub enum PolicyStatus {
	/// Created; service starts at its start period.
	Pending,
	/// In its service periods.
	Active,
	/// Alice revoked it in the given period.
	Revoked(Period),
	/// Its end period has come.
	Expired,
}

/// When a policy serves: its periods `start..end` and its revocation. The one definition that the
/// policies pallet (status, fees, the adjudicator) and the Ursula service use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceWindow {
	/// The first period of service.
	pub start: Period,
	/// The first period after the service.
	pub end: Period,
	/// The period Alice revoked it in, if she did.
	pub revoked_at: Option<Period>,
}

impl ServiceWindow {
	/// Whether `period` is one of the policy's periods (revoked or not).
	pub fn covers(&self, period: Period) -> bool {
		self.start <= period && period < self.end
	}

	/// Whether the policy was in service in `period`: one of its periods, and not after its
	/// revocation (the period of the revocation itself counts: Bob may have been served in it).
	pub fn served_in(&self, period: Period) -> bool {
		self.covers(period) && self.revoked_at.is_none_or(|revoked| period <= revoked)
	}

	/// Whether a period's fee is still due: one of its periods, and never revoked (revocation
	/// settles the escrow at once).
	pub fn pays_for(&self, period: Period) -> bool {
		self.covers(period) && self.revoked_at.is_none()
	}

	/// Where the policy is in its life in period `now`; `settled`: its escrow was settled early.
	pub fn status(&self, now: Period, settled: bool) -> PolicyStatus {
		match self.revoked_at {
			Some(at) => PolicyStatus::Revoked(at),
			None if now >= self.end || settled => PolicyStatus::Expired,
			None if now < self.start => PolicyStatus::Pending,
			None => PolicyStatus::Active,
		}
	}
}

/// A policy as integrators see it.
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
pub struct PolicyView<AccountId, Balance> {
	/// The policy's id.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub id: PolicyId,
	/// Alice: who created it, pays for it and may revoke it.
	pub owner: AccountId,
	/// Bob's account: the key that signs his re-encryption requests.
	pub bob: AccountId,
	/// Bob's Umbral public key: capsule fragments are made for it.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub bob_key: UmbralPublicKey,
	/// Alice's Umbral verifying key: it signed the key fragments.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub verifying_key: UmbralPublicKey,
	/// The policy's Umbral public key (Alice's delegating key): Enrico encrypts under it.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub policy_key: UmbralPublicKey,
	/// How many capsule fragments Bob needs (M of N).
	pub threshold: u8,
	/// The N Ursulas (worker accounts), in key-fragment order.
	pub ursulas: Vec<AccountId>,
	/// The sr25519 key each of them had registered when the policy was made, in the same
	/// order: the key that signs their capsule fragments for this policy, by which Bob's
	/// client and the adjudicator judge them.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex_list"))]
	pub signing_keys: Vec<[u8; 32]>,
	/// The first period of service.
	pub start: Period,
	/// The first period after service.
	pub end: Period,
	/// The fee per Ursula per period.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub rate: Balance,
	/// The price of one re-encryption request: what a ticket is worth on average (zero: the
	/// policy is paid by the period only).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub price: Balance,
	/// What is still held in escrow for it.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub escrow: Balance,
	/// What its escrow paid Ursulas so far (period fees, proven activity).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub paid: Balance,
	/// What winning tickets paid its Ursulas, from payers' deposits.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub paid_by_tickets: Balance,
	/// What proven activity paid its Ursulas (part of `paid`).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub paid_by_activity: Balance,
	/// Where it is in its life, as of the current period.
	pub status: PolicyStatus,
}

/// What the gateway pallet needs to know of a policy one of whose Ursulas is accused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccusedPolicy<AccountId> {
	/// Bob: the account whose signature the complained request carries.
	pub bob: AccountId,
	/// Bob's Umbral key, Alice's verifying key and the policy key: the judge's three keys.
	pub bob_key: UmbralPublicKey,
	pub verifying_key: UmbralPublicKey,
	pub policy_key: UmbralPublicKey,
	/// When the policy serves.
	pub window: ServiceWindow,
}

/// The policies pallet as the gateway pallet sees it: the facts of a policy, and the fee part of
/// a silent round, which the Ursula does not keep.
pub trait PolicyDirectory<AccountId, Balance> {
	/// The policy `id` if `worker` is one of its Ursulas.
	fn accused_policy(id: &PolicyId, worker: &AccountId) -> Option<AccusedPolicy<AccountId>>;
	/// What `worker` earns in fees for one round of `period`: for each policy it serves that
	/// pays for the period, its rate divided by `rounds_per_period`.
	fn round_fees(worker: &AccountId, period: Period, rounds_per_period: u32) -> Balance;
	/// Withholds one round's fees of `period` from `worker`'s staker: for each policy whose
	/// fee for the period was paid, its round's part goes back from the staker's earned fees
	/// to the policy's owner (as far as the staker still holds them). Returns what was refunded.
	fn refund_round(
		worker: &AccountId,
		staker: &AccountId,
		period: Period,
		rounds_per_period: u32,
	) -> Balance;
	/// The most policies one Ursula serves: bounds the two calls above.
	fn max_policies_per_ursula() -> u32;
}

/// What paid an Ursula for its service of a policy.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub enum PaidBy {
	/// Winning lottery tickets, from a payer's deposit (the lottery pallet).
	Tickets,
	/// Proven activity, from the policy's escrow.
	Activity,
}

/// The one accounting path of pay for served requests, whatever paid it (the policies pallet
/// keeps it): a payment made is recorded against the policy once.
pub trait ServiceLedger<AccountId, Balance> {
	/// `amount` reached `staker` for `worker`'s service of `policy`, paid by `by`: the policy's
	/// record of what it paid grows by it. (Its weight is the caller's: one policy read and
	/// written, which the caller's benchmark measures against the real policies pallet.)
	fn record_service(
		policy: &PolicyId,
		worker: &AccountId,
		staker: &AccountId,
		amount: Balance,
		by: PaidBy,
	);
}

/// What the activity pallet judges a claim of served work against: the policy's Bob and keys
/// (the judge's), when it served, its price of a request and its rate for a period (what a
/// claim may take at most).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityTerms<AccountId, Balance> {
	pub bob: AccountId,
	pub bob_key: UmbralPublicKey,
	pub verifying_key: UmbralPublicKey,
	pub policy_key: UmbralPublicKey,
	pub window: ServiceWindow,
	pub price: Balance,
	pub rate: Balance,
}

/// The policies pallet as the activity pallet sees it: a policy's terms for one of its
/// Ursulas, and pay from its escrow on the one accounting path of service pay.
pub trait ActivityPolicies<AccountId, Balance>: ServiceLedger<AccountId, Balance> {
	/// Policy `id`'s terms, if `worker` is one of its Ursulas.
	fn activity_terms(
		id: &PolicyId,
		worker: &AccountId,
	) -> Option<ActivityTerms<AccountId, Balance>>;
	/// Pays up to `amount` from the policy's escrow to `staker`'s earned fees for `worker`'s
	/// proven service, recorded as [`PaidBy::Activity`]. Returns what it paid (at most what
	/// escrow holds).
	fn pay_from_escrow(
		id: &PolicyId,
		worker: &AccountId,
		staker: &AccountId,
		amount: Balance,
	) -> Balance;
}

sp_api::decl_runtime_apis! {
	/// Policies and escrow for integrators, clients and the Ursula service.
	pub trait PoliciesApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// A policy (until it is cleaned up after its end).
		fn policy(id: PolicyId) -> Option<PolicyView<AccountId, Balance>>;
		/// The ids of the policies `owner` created.
		fn policies_of_owner(owner: AccountId) -> Vec<PolicyId>;
		/// The ids of the policies granted to `bob`.
		fn policies_of_bob(bob: AccountId) -> Vec<PolicyId>;
		/// The ids of the policies `worker` serves.
		fn policies_of_ursula(worker: AccountId) -> Vec<PolicyId>;
		/// `worker`'s key fragment of a policy, encrypted to its Umbral key (SCALE
		/// [`EncryptedKeyFrag`]); gone once the policy is revoked.
		fn encrypted_kfrag(id: PolicyId, worker: AccountId) -> Option<Vec<u8>>;
		/// What `owner` holds in escrow for all its policies.
		fn escrow_of(owner: AccountId) -> Balance;
		/// Fees `staker` earned and has not withdrawn.
		fn earned_fees(staker: AccountId) -> Balance;
	}
}

pub mod adjudication;
pub mod fixture;
pub mod wire;

pub use adjudication::*;
pub use wire::*;

#[cfg(test)]
mod tests;
