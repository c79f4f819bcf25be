//! Staking: stakes, workers, commitments and inflation. Durations come from genesis
//! ([`super::time`]); the amounts below are the token's economics, fixed with the runtime.

use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

use super::time::{
	AnswerablePeriods, BlocksPerPeriod, BlocksPerRound, DecayPeriods, EvidenceWindow,
	LockBonusPeriods, LockCoefficient1, LockCoefficient2, MaxLockPeriods, MinLockPeriods,
	MinWorkerPeriods, RewardHistoryPeriods,
};
use crate::{AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeHoldReason, UNITS};

parameter_types! {
	pub const MinStake: Balance = 1_000 * UNITS;
	pub const MaxStake: Balance = 10_000_000 * UNITS;
	/// Phase 1 mints at most 1,000 KEY a period, until supply reaches one billion.
	pub const MaxIssuancePerPeriod: Balance = 1_000 * UNITS;
	pub const FirstPhaseSupply: Balance = 1_000_000_000 * UNITS;
	pub const SupplyCap: Balance = 3_000_000_000 * UNITS;
}

impl pallet_keymarket_staking::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type BlocksPerPeriod = BlocksPerPeriod;
	type BlocksPerRound = BlocksPerRound;
	/// The slashing pallet applies due slashes and forgets old offences at each period start.
	type OnPeriodStart = crate::Slashing;
	type MinStake = MinStake;
	type MaxStake = MaxStake;
	type MinLockPeriods = MinLockPeriods;
	type MaxLockPeriods = MaxLockPeriods;
	type MaxSubStakes = ConstU32<16>;
	type MinWorkerPeriods = MinWorkerPeriods;
	/// As long as offences may be reported: the slashing evidence window.
	type WorkerAccountabilityPeriods = EvidenceWindow;
	/// The evidence window and the slashing deferral: a report made on the window's last
	/// period still finds the stake when it is applied.
	type AnswerablePeriods = AnswerablePeriods;
	type MaxWorkerChangesPerPeriod = ConstU32<64>;
	type WorkerKey = pallet_keymarket_staking::crypto::WorkerAuthId;
	type StageOrigin = EnsureRoot<AccountId>;
	type MaxIssuancePerPeriod = MaxIssuancePerPeriod;
	type FirstPhaseSupply = FirstPhaseSupply;
	type SupplyCap = SupplyCap;
	type LockBonusPeriods = LockBonusPeriods;
	type LockCoefficient1 = LockCoefficient1;
	type LockCoefficient2 = LockCoefficient2;
	type DecayPeriods = DecayPeriods;
	type RewardHistoryPeriods = RewardHistoryPeriods;
	/// The stakers' minimum fee rates range over governance's `MinFeeRate..=MaxFeeRate`.
	type MinFeeRate = super::parameters::dynamic_params::policies::MinFeeRate;
	type MaxFeeRate = super::parameters::dynamic_params::policies::MaxFeeRate;
	type MaxCapacity = super::policies::MaxPoliciesPerUrsula;
	/// The policies pallet pays fees for the period a commitment shows was served.
	/// Policies pay fees for available periods; the gateway pallet draws from the committed.
	type OnCommitment = (crate::Policies, crate::Gateway);
	type WeightInfo = crate::weights::pallet_keymarket_staking::WeightInfo<Runtime>;
}
