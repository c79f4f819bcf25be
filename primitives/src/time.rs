//! The chain's time: blocks, rounds and periods, and the durations a chain spec chooses at genesis.
//!
//! A period is a fixed number of blocks (stakes lock for, policies last for and inflation is
//! minted per period); a round is a fixed number of blocks that divides a period (gateways and
//! committees are drawn per round). Both lengths, and every other duration the pallets count in
//! periods, are part of the chain's genesis ([`Durations`]): fixed for the life of the chain,
//! readable by anyone (storage `Staking::Durations`, runtime API `StakingApi::durations`).
//!
//! One clock: the staking pallet implements [`Clock`] and calls [`OnPeriodStart`] in the first
//! block of every period; no other pallet counts blocks.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Weight;

use crate::BlockNumber;

/// A period number: block number divided by the period length.
pub type Period = u32;

/// A round number: block number divided by the round length.
pub type Round = u32;

/// The durations of a chain, set by its chain spec at genesis and never changed.
///
/// Every field but the two lengths counts periods.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Durations {
	/// Blocks in a period.
	pub blocks_per_period: BlockNumber,
	/// Blocks in a round; divides `blocks_per_period`.
	pub blocks_per_round: BlockNumber,
	/// Periods in a year: the unit of the inflation formula's lock coefficients and decay.
	pub periods_per_year: Period,
	/// The shortest lock of a sub-stake.
	pub min_lock_periods: Period,
	/// The longest lock of a sub-stake.
	pub max_lock_periods: Period,
	/// How long a worker stays bonded before it can be replaced.
	pub min_worker_periods: Period,
	/// How long after it happened an offence may be reported; a worker that left its staker
	/// answers for it as long, and a revoked or ended policy's record is kept as long.
	pub evidence_window: Period,
	/// How long a slash waits before it is applied (governance may cancel it meanwhile).
	pub defer_periods: Period,
	/// How long a period's locked total is kept for its rewards to be minted.
	pub reward_history_periods: Period,
	/// The longest policy.
	pub max_policy_periods: Period,
	/// How far ahead a policy may start.
	pub max_start_delay: Period,
	/// Rounds an Ursula proven unavailable has to answer the complained request on chain
	/// before the proof becomes an offence.
	pub answer_rounds: Round,
}

/// Why a chain spec's durations cannot run a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationsError {
	/// A period must last at least a block.
	EmptyPeriod,
	/// A round must last at least a block and divide the period.
	RoundNotDividingPeriod,
	/// A year must hold at least one period.
	EmptyYear,
	/// Locks must last at least a period, and the shortest no longer than the longest.
	BadLockRange,
	/// Offences must be reportable for at least a period, and a slash applied in a later one.
	NoEvidenceWindow,
	/// Rewards are minted a period late: at least two periods must be kept.
	ShortRewardHistory,
	/// A policy must be able to last at least a period.
	NoPolicyPeriods,
	/// An accused Ursula must have at least a round to answer, and the case must close within
	/// the evidence window: a round of proof window, the answer window, and a second answer
	/// window for a silent gateway's case it passed on.
	BadAnswerWindow,
}

impl Durations {
	/// The durations of the `dev` chain, and what an empty state reads: a minute per period
	/// (ten 6-second blocks), two rounds a period, and every longer duration a few minutes, so
	/// that tests pass through lock ends, evidence windows and deferrals in minutes.
	pub const fn dev() -> Self {
		Durations {
			blocks_per_period: 10,
			blocks_per_round: 5,
			periods_per_year: 365 * 24 * 60,
			min_lock_periods: 60,
			max_lock_periods: 5 * 365 * 24 * 60,
			min_worker_periods: 60,
			evidence_window: 24 * 60,
			defer_periods: 2,
			reward_history_periods: 7 * 24 * 60,
			max_policy_periods: 365 * 24 * 60,
			max_start_delay: 24 * 60,
			answer_rounds: 2,
		}
	}

	/// Rounds in a period.
	pub fn rounds_per_period(&self) -> u32 {
		self.blocks_per_period.checked_div(self.blocks_per_round).unwrap_or(1).max(1)
	}

	/// How long stake stays answerable after its worker left: the evidence window and the
	/// deferral, so that an offence reported on the window's last period still finds the stake
	/// when its slash is applied.
	pub const fn answerable_periods(&self) -> Period {
		self.evidence_window.saturating_add(self.defer_periods)
	}

	/// The period of `block`.
	pub fn period_of(&self, block: BlockNumber) -> Period {
		block.checked_div(self.blocks_per_period).unwrap_or_default()
	}

	/// The round of `block`.
	pub fn round_of(&self, block: BlockNumber) -> Round {
		block.checked_div(self.blocks_per_round).unwrap_or_default()
	}

	/// The first block of `period`.
	pub fn first_block_of(&self, period: Period) -> BlockNumber {
		period.saturating_mul(self.blocks_per_period)
	}

	/// Whether these durations can run a chain (checked when its genesis is built).
	pub fn check(&self) -> Result<(), DurationsError> {
		if self.blocks_per_period == 0 {
			return Err(DurationsError::EmptyPeriod);
		}
		if self.blocks_per_round == 0
			|| !self.blocks_per_period.is_multiple_of(self.blocks_per_round)
		{
			return Err(DurationsError::RoundNotDividingPeriod);
		}
		if self.periods_per_year == 0 {
			return Err(DurationsError::EmptyYear);
		}
		if self.min_lock_periods == 0 || self.min_lock_periods > self.max_lock_periods {
			return Err(DurationsError::BadLockRange);
		}
		if self.evidence_window == 0 || self.defer_periods == 0 {
			return Err(DurationsError::NoEvidenceWindow);
		}
		if self.reward_history_periods < 2 {
			return Err(DurationsError::ShortRewardHistory);
		}
		if self.max_policy_periods == 0 {
			return Err(DurationsError::NoPolicyPeriods);
		}
		let evidence_rounds = self.evidence_window.saturating_mul(self.rounds_per_period());
		if self.answer_rounds == 0
			|| self.answer_rounds.saturating_mul(2).saturating_add(2) > evidence_rounds
		{
			return Err(DurationsError::BadAnswerWindow);
		}
		Ok(())
	}
}

impl Default for Durations {
	fn default() -> Self {
		Self::dev()
	}
}

/// The chain's one clock (the staking pallet implements it).
pub trait Clock {
	/// The current period.
	fn current_period() -> Period;
	/// The current round.
	fn current_round() -> Round;
}

/// Told in the first block of every period, before any transaction (the staking pallet calls
/// it from its `on_initialize`).
pub trait OnPeriodStart {
	/// `period` has just begun. Returns the weight used.
	fn on_period_start(period: Period) -> Weight;
}

impl OnPeriodStart for () {
	fn on_period_start(_: Period) -> Weight {
		Weight::zero()
	}
}

impl<A: OnPeriodStart, B: OnPeriodStart> OnPeriodStart for (A, B) {
	fn on_period_start(period: Period) -> Weight {
		A::on_period_start(period).saturating_add(B::on_period_start(period))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_durations_run_a_chain() {
		assert_eq!(Durations::dev().check(), Ok(()));
		assert_eq!(Durations::default(), Durations::dev());
		assert_eq!(Durations::dev().answerable_periods(), 24 * 60 + 2);
	}

	#[test]
	fn blocks_map_to_periods_and_rounds() {
		let d = Durations::dev();
		assert_eq!((d.period_of(0), d.period_of(9), d.period_of(10)), (0, 0, 1));
		assert_eq!((d.round_of(4), d.round_of(5), d.round_of(10)), (0, 1, 2));
		assert_eq!(d.first_block_of(3), 30);
	}

	#[test]
	fn unusable_durations_are_named() {
		let with = |f: fn(&mut Durations)| {
			let mut d = Durations::dev();
			f(&mut d);
			d.check()
		};
		assert_eq!(with(|d| d.blocks_per_period = 0), Err(DurationsError::EmptyPeriod));
		assert_eq!(with(|d| d.blocks_per_round = 3), Err(DurationsError::RoundNotDividingPeriod));
		assert_eq!(with(|d| d.blocks_per_round = 0), Err(DurationsError::RoundNotDividingPeriod));
		assert_eq!(with(|d| d.periods_per_year = 0), Err(DurationsError::EmptyYear));
		assert_eq!(with(|d| d.min_lock_periods = 0), Err(DurationsError::BadLockRange));
		assert_eq!(with(|d| d.max_lock_periods = 1), Err(DurationsError::BadLockRange));
		assert_eq!(with(|d| d.evidence_window = 0), Err(DurationsError::NoEvidenceWindow));
		assert_eq!(with(|d| d.defer_periods = 0), Err(DurationsError::NoEvidenceWindow));
		assert_eq!(with(|d| d.reward_history_periods = 1), Err(DurationsError::ShortRewardHistory));
		assert_eq!(with(|d| d.max_policy_periods = 0), Err(DurationsError::NoPolicyPeriods));
		assert_eq!(with(|d| d.answer_rounds = 0), Err(DurationsError::BadAnswerWindow));
		// One period of evidence holds two rounds: a round of proof window and two answer
		// windows of one round (a case, and the case a silent gateway passes on) do not fit.
		assert_eq!(
			with(|d| {
				d.evidence_window = 1;
				d.answer_rounds = 1;
			}),
			Err(DurationsError::BadAnswerWindow)
		);
		assert_eq!(
			with(|d| {
				d.evidence_window = 2;
				d.answer_rounds = 2;
			}),
			Err(DurationsError::BadAnswerWindow)
		);
		assert_eq!(
			with(|d| {
				d.evidence_window = 2;
				d.answer_rounds = 1;
			}),
			Ok(())
		);
	}

	#[test]
	fn durations_read_from_a_chain_spec() {
		let json = serde_json::to_string(&Durations::dev()).unwrap();
		assert!(json.contains("\"blocksPerPeriod\":10"), "{json}");
		let back: Durations = serde_json::from_str(&json).unwrap();
		assert_eq!(back, Durations::dev());
		assert!(serde_json::from_str::<Durations>(r#"{"blocksPerPeriod":10}"#).is_err());
	}
}
