//! The policy as stored, and the parts of a grant.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use keymarket_primitives::{
	policies::{PolicyStatus, ServiceWindow, UmbralPublicKey},
	staking::Period,
};
use scale_info::TypeInfo;

use crate::{BalanceOf, Config};

/// What Alice grants: to whom, with which keys, for how long, at what rate.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct PolicyGrant<AccountId, Balance> {
	/// Bob's account: the key that signs his requests to Ursulas.
	pub bob: AccountId,
	/// Bob's Umbral public key.
	pub bob_key: UmbralPublicKey,
	/// Alice's Umbral verifying key (signed the key fragments).
	pub verifying_key: UmbralPublicKey,
	/// The policy's Umbral public key (Enrico encrypts under it).
	pub policy_key: UmbralPublicKey,
	/// M: capsule fragments Bob needs.
	pub threshold: u8,
	/// The first period of service (now or later).
	pub start: Period,
	/// The first period after service.
	pub end: Period,
	/// The fee per Ursula per period.
	pub rate: Balance,
	/// The price of one re-encryption request: what a lottery ticket is worth on average
	/// (zero: the policy is paid by the period only). Fixed for the policy's life.
	pub price: Balance,
}

/// One Ursula of a policy.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct PolicyUrsula<AccountId> {
	/// Its worker account.
	pub worker: AccountId,
	/// The signing key it had registered when the policy was made: its capsule fragments for
	/// this policy are judged by it, whatever it registers later.
	pub signing_key: [u8; 32],
	/// The last period it was paid for.
	pub paid_through: Option<Period>,
}

/// A policy as stored.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxUrsulas))]
pub struct Policy<
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
	MaxUrsulas: Get<u32>,
> {
	/// Alice.
	pub owner: AccountId,
	/// What she granted.
	pub grant: PolicyGrant<AccountId, Balance>,
	/// The N Ursulas, in key-fragment order.
	pub ursulas: BoundedVec<PolicyUrsula<AccountId>, MaxUrsulas>,
	/// Still held in escrow on Alice's account for this policy.
	pub escrow: Balance,
	/// Paid to Ursulas so far.
	pub paid: Balance,
	/// The storage deposit held on Alice's account for this record, returned on removal.
	pub deposit: Balance,
	/// The period Alice revoked it in.
	pub revoked_at: Option<Period>,
	/// Whether its end was settled: escrow refunded, key fragments and Ursula places freed. The
	/// record itself stays for the evidence window, for the adjudicator.
	pub settled: bool,
}

impl<AccountId, Balance, MaxUrsulas> Policy<AccountId, Balance, MaxUrsulas>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
	MaxUrsulas: Get<u32>,
{
	/// When the policy serves (the one definition, in primitives).
	pub fn window(&self) -> ServiceWindow {
		ServiceWindow { start: self.grant.start, end: self.grant.end, revoked_at: self.revoked_at }
	}

	/// Whether `period` is one the policy served in: within its periods and not after its
	/// revocation.
	pub fn in_service(&self, period: Period) -> bool {
		self.window().served_in(period)
	}

	/// Where the policy is in its life in period `now`.
	pub fn status(&self, now: Period) -> PolicyStatus {
		self.window().status(now, self.settled)
	}
}

/// What a policy paid for served requests, by what paid it (the one record of service pay).
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct ServiceTally<Balance> {
	/// Winning tickets, from payers' deposits.
	pub tickets: Balance,
	/// Proven activity, from the policy's escrow (also counted in the policy's `paid`).
	pub activity: Balance,
}

/// The policy type of a runtime.
pub type PolicyOf<T> =
	Policy<<T as frame_system::Config>::AccountId, BalanceOf<T>, <T as Config>::MaxUrsulas>;

/// The grant type of a runtime.
pub type PolicyGrantOf<T> = PolicyGrant<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
