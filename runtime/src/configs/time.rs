//! The chain's durations, fed to every pallet's `Config`.
//!
//! A chain spec chooses its durations at genesis (the staking pallet keeps them, storage
//! `Staking::Durations`, and refuses a genesis whose durations cannot run a chain); they never
//! change after. Each type below is a `Get` that reads one of them, so the pallets keep asking
//! their `Config` as before, and their metadata constants show the chain's own values.

use frame_support::traits::Get;
use keymarket_primitives::time::{Durations, Period};

use crate::{BlockNumber, Runtime};

/// The chain's durations, as its genesis set them.
pub fn durations() -> Durations {
	pallet_keymarket_staking::Durations::<Runtime>::get()
}

/// `2 / ln 2` in millionths of millionths: periods per year times this is a two-year half-life.
const TWO_OVER_LN2_PICO: u64 = 2_885_390_081_778;

macro_rules! from_durations {
	($($(#[$doc:meta])* $name:ident: $ty:ty = |$d:ident| $value:expr;)*) => {$(
		$(#[$doc])*
		pub struct $name;

		impl Get<$ty> for $name {
			fn get() -> $ty {
				let $d = durations();
				$value
			}
		}
	)*};
}

from_durations! {
	/// Blocks in a period.
	BlocksPerPeriod: BlockNumber = |d| d.blocks_per_period;
	/// Blocks in a round.
	BlocksPerRound: BlockNumber = |d| d.blocks_per_round;
	/// The shortest lock of a sub-stake.
	MinLockPeriods: Period = |d| d.min_lock_periods;
	/// The longest lock of a sub-stake.
	MaxLockPeriods: Period = |d| d.max_lock_periods;
	/// How long a worker stays bonded before it can be replaced.
	MinWorkerPeriods: Period = |d| d.min_worker_periods;
	/// How long offences may be reported (and former workers answer, and records stay).
	EvidenceWindow: Period = |d| d.evidence_window;
	/// How long a slash waits.
	DeferPeriods: Period = |d| d.defer_periods;
	/// The evidence window and the deferral: how long stake answers after its worker left.
	AnswerablePeriods: Period = |d| d.answerable_periods();
	/// How long a period's locked total is kept for its rewards.
	RewardHistoryPeriods: Period = |d| d.reward_history_periods;
	/// The longest policy.
	MaxPolicyPeriods: Period = |d| d.max_policy_periods;
	/// How far ahead a policy may start.
	MaxStartDelay: Period = |d| d.max_start_delay;
	/// Rounds in a period.
	RoundsPerPeriod: u32 = |d| d.rounds_per_period();
	/// Rounds an accused Ursula has to answer on chain.
	AnswerRounds: u32 = |d| d.answer_rounds;
	/// NuCypher's `kmax`: a year.
	LockBonusPeriods: Period = |d| d.periods_per_year;
	/// NuCypher's `k1 = 0.5 k2`: a year.
	LockCoefficient1: Period = |d| d.periods_per_year;
	/// NuCypher's `k2 = kmax / 0.5`: two years.
	LockCoefficient2: Period = |d| d.periods_per_year.saturating_mul(2);
	/// `d = periods per year · 2 / ln 2`: phase 2 halves what is left under the cap every two
	/// years.
	DecayPeriods: Period = |d| {
		let periods = d.periods_per_year as u128 * TWO_OVER_LN2_PICO as u128 / 1_000_000_000_000;
		periods.try_into().unwrap_or(Period::MAX)
	};
}
