//! Slashing: offences judged, priced, deferred and applied. Penalties and the reporters' share
//! are governance's parameters ([`super::parameters`]); the windows are the chain's durations.

use frame_support::traits::ConstU32;
use frame_system::EnsureRoot;

use super::{
	parameters::dynamic_params::slashing,
	time::{DeferPeriods, EvidenceWindow},
};
use crate::{AccountId, Balance, Runtime, RuntimeEvent};
#[cfg(feature = "runtime-benchmarks")]
use {
	super::{staking::MinStake, time::BlocksPerPeriod},
	crate::{RuntimeOrigin, System},
	frame_support::traits::Get,
};

impl pallet_keymarket_slashing::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Stakes = crate::Staking;
	type CancelOrigin = EnsureRoot<AccountId>;
	type DeferPeriods = DeferPeriods;
	type EvidenceWindow = EvidenceWindow;
	/// Every gateway that signed a proof of unavailability shares its reward.
	type MaxReporters = ConstU32<{ keymarket_primitives::gateway::MAX_GATEWAYS }>;
	type MaxSlashesPerPeriod = ConstU32<64>;
	/// One staker's offences can take at most a sixteenth of a period's places.
	type MaxSlashesPerOffender = ConstU32<4>;
	type CfragBasePenalty = slashing::CfragBasePenalty;
	type CfragHistoryPenalty = slashing::CfragHistoryPenalty;
	type MaxPenaltyDivisor = slashing::MaxPenaltyDivisor;
	type FalseClaimMultiplier = slashing::FalseClaimMultiplier;
	type FalseAccusationPenalty = slashing::FalseAccusationPenalty;
	type ReporterShare = slashing::ReporterShare;
	type WeightInfo = crate::weights::pallet_keymarket_slashing::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = SlashingBenchmarks;
}

/// Stakers and periods for the slashing benchmarks, made through the staking pallet's calls.
#[cfg(feature = "runtime-benchmarks")]
pub struct SlashingBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_slashing::BenchmarkHelper<AccountId> for SlashingBenchmarks {
	fn staked_worker(index: u32) -> AccountId {
		use frame_support::traits::{fungible::Mutate, Get};
		let staker: AccountId = frame_benchmarking::account("staker", index, 0);
		let worker: AccountId = frame_benchmarking::account("worker", index, 0);
		let sub_stakes: u32 = <Runtime as pallet_keymarket_staking::Config>::MaxSubStakes::get();
		let _ = crate::Balances::set_balance(&staker, MinStake::get() * (sub_stakes as u128 + 2));
		for _ in 0..sub_stakes {
			crate::Staking::stake(RuntimeOrigin::signed(staker.clone()), MinStake::get(), 120)
				.expect("the benchmark staker can stake");
		}
		crate::Staking::bond_worker(RuntimeOrigin::signed(staker), Some(worker.clone()))
			.expect("a fresh worker bonds");
		worker
	}

	fn go_to_period(period: keymarket_primitives::staking::Period) {
		System::set_block_number(period * BlocksPerPeriod::get());
	}
}
