//! Gateways: each round's gateways, proofs of unavailability, the accused's answer on chain.
//! `n`, `t` and the complaint difficulty are governance's parameters ([`super::parameters`]);
//! rounds and the answer window are the chain's durations.

use frame_support::traits::ConstU32;

use super::{
	parameters::dynamic_params::gateway,
	time::{AnswerRounds, BlocksPerRound, RoundsPerPeriod},
};
use crate::{Balance, Runtime, RuntimeEvent};
#[cfg(feature = "runtime-benchmarks")]
use {
	super::policies::PoliciesBenchmarks,
	crate::{AccountId, System},
	frame_support::traits::Get,
};

impl pallet_keymarket_gateway::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Ursulas = crate::Staking;
	type Policies = crate::Policies;
	type Offences = crate::Slashing;
	type Rewards = crate::Staking;
	type WorkerKey = pallet_keymarket_staking::crypto::WorkerAuthId;
	type BlocksPerRound = BlocksPerRound;
	type RoundsPerPeriod = RoundsPerPeriod;
	/// A proof of round `r` may come in round `r + 1` too: a silence found at a round's end
	/// still has a round to be signed and submitted.
	type ProofRounds = ConstU32<1>;
	type AnswerRounds = AnswerRounds;
	/// A period's draws consider its first 1,024 committed Ursulas (a draw reads `O(n log m)`).
	type MaxCandidates = ConstU32<1_024>;
	/// Sixteen cases per round: more than a round's honest complaints, few enough that closing
	/// them fits a block's start.
	type MaxCasesPerRound = ConstU32<16>;
	type GatewayCount = gateway::GatewayCount;
	type GatewayThreshold = gateway::GatewayThreshold;
	type ComplaintDifficulty = gateway::ComplaintDifficulty;
	type WeightInfo = crate::weights::pallet_keymarket_gateway::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = GatewayBenchmarks;
}

/// Active Ursulas and their policies for the gateway benchmarks, made through the staking and
/// policies pallets' calls.
#[cfg(feature = "runtime-benchmarks")]
pub struct GatewayBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_gateway::BenchmarkHelper<AccountId> for GatewayBenchmarks {
	fn active_ursula(index: u32, signing_key: [u8; 32]) -> AccountId {
		use pallet_keymarket_policies::{fixture::BOB_KEY, BenchmarkHelper};
		PoliciesBenchmarks::active_ursula(2_000 + index, BOB_KEY, signing_key)
	}

	fn policy_of(
		worker: &AccountId,
		bob: &AccountId,
		policies: u32,
	) -> pallet_keymarket_gateway::PolicyId {
		for i in 0..policies.max(1) {
			let mut id = [0u8; 16];
			id[..4].copy_from_slice(&i.to_le_bytes());
			super::policies::benchmark_policy(i, id, bob, alloc::vec![worker.clone()]);
		}
		[0; 16]
	}

	fn go_to_round(round: pallet_keymarket_gateway::Round) {
		System::set_block_number(round * BlocksPerRound::get());
	}
}
