//! How the market's pallets know the Ursulas: one read-only registry that the staking pallet
//! implements once, and the one-way hook by which it tells others of each commitment.
//!
//! The staking pallet is the only source of these facts; the policies and slashing pallets name
//! [`UrsulaRegistry`] in their `Config` and are tested against mocks of it. What the staking
//! pallet already knows when it calls a hook it passes along ([`Commitment`]), so a hook never
//! calls back into it.

use codec::{Decode, Encode};
use sp_runtime::Weight;

use crate::{
	market::Terms,
	staking::Stage,
	time::{Clock, Period},
	UmbralPublicKey,
};

/// The public keys a staker's worker registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct RegisteredKeys {
	/// Umbral public key: key fragments are encrypted to it.
	pub umbral_key: UmbralPublicKey,
	/// sr25519 key that signs capsule fragments.
	pub signing_key: [u8; 32],
}

/// What the other pallets may ask about Ursulas (the staking pallet implements it, once).
pub trait UrsulaRegistry<AccountId>: Clock {
	/// The network stage.
	fn stage() -> Stage;
	/// Whether `worker` committed to serve in `period` (is in its active set).
	fn committed_to(worker: &AccountId, period: Period) -> bool;
	/// The staker `worker` serves, or served within the evidence window (it still answers for
	/// that staker).
	fn staker_of(worker: &AccountId) -> Option<AccountId>;
	/// The keys `worker` registered, if it did.
	fn keys(worker: &AccountId) -> Option<RegisteredKeys>;
	/// The terms in force now of the Ursula of `worker`: the least rate a policy must pay it
	/// and the most policies it takes. `None`: it asks nothing beyond the chain's own limits
	/// (the default, for registries that keep no terms).
	fn terms(_worker: &AccountId) -> Option<Terms<u128>> {
		None
	}
}

/// The inflation a staker earns for a period by the staking pallet's reward rule: what a silent
/// round's penalty counts as the round's subsidy.
pub trait PeriodReward<AccountId, Balance> {
	/// `staker`'s reward for `period`: minted already (the last few periods are remembered) or
	/// still due for a commitment; zero when it earned none.
	fn period_reward(staker: &AccountId, period: Period) -> Balance;
	/// Withholds `amount` of `staker`'s inflation: it is taken off the rewards minted to it
	/// from now on (the one still due for the silent round's period first), never minted.
	fn withhold(staker: &AccountId, amount: Balance);
}

/// A commitment as the staking pallet has just recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment<AccountId> {
	/// The worker that committed.
	pub worker: AccountId,
	/// The staker it serves.
	pub staker: AccountId,
	/// The period it committed to (the next one).
	pub period: Period,
	/// The current period, if the worker was committed to it as well: it has been available
	/// all through it.
	pub served: Option<Period>,
	/// The network stage.
	pub stage: Stage,
	/// The stake its staker committed for `period`: its weight when gateways are drawn.
	pub stake: u128,
}

/// Told of each commitment a worker makes (the staking pallet calls it).
pub trait OnCommitment<AccountId> {
	/// `commitment` was recorded. Returns the weight used.
	fn on_commitment(commitment: &Commitment<AccountId>) -> Weight;
	/// The most [`OnCommitment::on_commitment`] may weigh.
	fn max_weight() -> Weight;
}

impl<AccountId, A: OnCommitment<AccountId>, B: OnCommitment<AccountId>> OnCommitment<AccountId>
	for (A, B)
{
	fn on_commitment(commitment: &Commitment<AccountId>) -> Weight {
		A::on_commitment(commitment).saturating_add(B::on_commitment(commitment))
	}
	fn max_weight() -> Weight {
		A::max_weight().saturating_add(B::max_weight())
	}
}

impl<AccountId> OnCommitment<AccountId> for () {
	fn on_commitment(_: &Commitment<AccountId>) -> Weight {
		Weight::zero()
	}
	fn max_weight() -> Weight {
		Weight::zero()
	}
}

/// The stake behind an account, for whoever ranks accounts by it (the validators pallet chooses
/// the stake-backed validators with it; the staking pallet implements it).
pub trait StakeOf<AccountId> {
	/// The tokens `staker` has locked in sub-stakes now (locks that ran out while nobody
	/// touched the stake do not count); zero for an account that does not stake.
	fn locked_stake(staker: &AccountId) -> u128;
}
