//! The lottery: payers' deposits and reserves for policies, Bob's authorization, the Ursulas'
//! commitments, and the redemption of winning tickets in batches.

use frame_support::traits::ConstU32;

use super::time::BlocksPerRound;
use crate::{Runtime, RuntimeEvent, RuntimeHoldReason};
#[cfg(feature = "runtime-benchmarks")]
use {
	super::policies::PoliciesBenchmarks,
	crate::{AccountId, System},
	frame_support::traits::Get,
};

impl pallet_keymarket_lottery::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type WorkerKey = pallet_keymarket_staking::crypto::WorkerAuthId;
	type Ursulas = crate::Staking;
	type Policies = crate::Policies;
	type Offences = crate::Slashing;
	type BlocksPerRound = BlocksPerRound;
	/// A ticket lives at most two rounds after the round it was made in: long enough for the
	/// Ursula to rotate its commitment and redeem, short enough to keep the replay set small.
	type TicketRounds = ConstU32<2>;
	/// A batch of up to 2,048 winners in one transaction (its weight is checked to fit a block
	/// in `docs/lottery.md`).
	type MaxBatch = ConstU32<2_048>;
	type WeightInfo = crate::weights::pallet_keymarket_lottery::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = LotteryBenchmarks;
}

/// Workers and policies for the lottery benchmarks, made through the staking and policies
/// pallets' calls.
#[cfg(feature = "runtime-benchmarks")]
pub struct LotteryBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_lottery::BenchmarkHelper<AccountId> for LotteryBenchmarks {
	fn worker(index: u32) -> AccountId {
		use pallet_keymarket_policies::{fixture::BOB_KEY, BenchmarkHelper};
		PoliciesBenchmarks::active_ursula(3_000 + index, BOB_KEY, [index as u8; 32])
	}

	fn policy(
		worker: &AccountId,
		bob: &AccountId,
		ursulas: u32,
	) -> pallet_keymarket_lottery::PolicyId {
		let mut workers = alloc::vec![worker.clone()];
		workers.extend((1..ursulas.max(1)).map(|i| Self::worker(100 + i)));
		let id = [3u8; 16];
		super::policies::benchmark_policy(1_000, id, bob, workers);
		id
	}

	fn go_to_round(round: pallet_keymarket_lottery::Round) {
		System::set_block_number(round * BlocksPerRound::get());
	}
}
