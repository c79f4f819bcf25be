//! The records the staking pallet keeps.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

pub use keymarket_primitives::{
	market::Terms,
	staking::{Period, Stage},
};

/// A part of a stake with its own lock.
///
/// While the staker's wind-down switch is off, `remaining_periods` stays as it is and the tokens
/// stay locked; while it is on, `remaining_periods` drops by one each period, and the sub-stake is
/// unlocked once it reaches zero.
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
pub struct SubStake<Balance> {
	/// The tokens in this sub-stake.
	pub value: Balance,
	/// The periods its lock has still to run.
	pub remaining_periods: u32,
	/// The period the sub-stake was created in.
	pub first_period: Period,
}

impl<Balance> SubStake<Balance> {
	/// Whether the lock has run out.
	pub fn is_unlocked(&self) -> bool {
		self.remaining_periods == 0
	}
}

/// Everything the pallet knows of one staker, apart from the sub-stakes.
#[derive(
	Clone,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct StakerInfo<AccountId, Balance> {
	/// Locks shorten each period while this is on.
	pub wind_down: bool,
	/// Rewards are added to the stake (locked) while this is on, or left free.
	pub restake: bool,
	/// Tokens still held for the staker whose lock has run out and that were moved out of their
	/// sub-stakes: they can be withdrawn.
	pub unlocked: Balance,
	/// The last period whose passage has been applied to the sub-stakes.
	pub last_processed_period: Period,
	/// The bonded worker, if any.
	pub worker: Option<AccountId>,
	/// The period the current worker was bonded (or unbonded) in.
	pub worker_bonded_in: Period,
	/// The first period in which nothing of the stake can answer for an offence any more (set
	/// when a worker leaves); with a worker bonded the stake always answers.
	pub answerable_until: Period,
	/// Committed periods whose reward is not minted yet: at most the current and the next.
	pub unrewarded: BoundedVec<Commitment<Balance>, ConstU32<2>>,
}

/// A worker's commitment to a period, with the staker's stake as it stood for that period.
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
pub struct Commitment<Balance> {
	/// The period committed to.
	pub period: Period,
	/// The tokens locked through that period: the staker's share of `LockedInPeriod`.
	pub locked: Balance,
	/// `Σ value · (k1 + min(T, kmax))` over the sub-stakes locked in that period, `T` being the
	/// periods each is still locked for then: the numerator of the inflation formula.
	pub weighted: Balance,
}

/// How total issuance came to be what it is: checked by `try_state`.
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
)]
pub struct IssuanceRecord<Balance> {
	/// Total issuance when the chain started.
	pub genesis: Balance,
	/// Minted by inflation since.
	pub minted: Balance,
	/// Burned by slashing since.
	pub burned: Balance,
}

/// The most bytes a service endpoint may take (`host:port` or a URL).
pub type MaxEndpointLen = ConstU32<256>;

/// What a worker (the Ursula node's account) announces about itself.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct WorkerInfo<AccountId> {
	/// The staker this worker serves.
	pub staker: AccountId,
	/// Where Bobs reach the Ursula, e.g. `https://ursula.example.org:9151`.
	pub endpoint: BoundedVec<u8, MaxEndpointLen>,
	/// The Ursula's Umbral public key (a compressed secp256k1 point).
	pub umbral_key: [u8; 33],
	/// The Ursula's signing key (sr25519) for capsule fragments, proofs and tickets.
	pub signing_key: [u8; 32],
	/// Whether endpoint and keys have been registered.
	pub registered: bool,
	/// The last period this worker committed to be available in.
	pub last_committed_period: Option<Period>,
	/// The first period of the worker's current unbroken run of commitments: it committed to
	/// every period from this one to `last_committed_period`.
	pub committed_since: Option<Period>,
}

/// What all committed stakers locked for a period, and the supply when the first of them
/// committed: the period's inflation is measured against that supply, whenever it is minted.
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
)]
pub struct PeriodTotal<Balance> {
	/// The sum of the commitments' `locked`: `L` of the inflation formula.
	pub locked: Balance,
	/// Total issuance when the first commitment to the period was made.
	pub supply: Balance,
}

/// A staker's terms as stored: those it set that are in force (`None`: the chain's defaults,
/// the lowest rate and the most places), and a change that takes effect from a later period.
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
)]
pub struct TermsRecord<Balance> {
	/// The terms the staker set that are in force.
	pub in_force: Option<Terms<Balance>>,
	/// Terms set for later, with the first period they hold in.
	pub next: Option<(Period, Terms<Balance>)>,
}

impl<Balance: Copy> TermsRecord<Balance> {
	/// The terms the staker set that hold in `period` (`None`: the defaults).
	pub fn set_for(&self, period: Period) -> Option<Terms<Balance>> {
		match self.next {
			Some((from, terms)) if from <= period => Some(terms),
			_ => self.in_force,
		}
	}
}
