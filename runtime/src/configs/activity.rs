//! Proofs of served work: an Ursula's claims of distinct served requests, challenged by a block
//! hash drawn after the claim and opened in full, paid from the policy's escrow.

use frame_support::traits::{ConstU32, Get};

use super::time::BlocksPerPeriod;
use crate::{AccountId, Balance, Runtime, RuntimeEvent};

/// How many periods after a period it may still be claimed.
pub const CLAIM_PERIODS: u32 = 2;

/// The policies pallet's settling delay: a policy's last period may be claimed `CLAIM_PERIODS`
/// periods after it and opened until the end of the period after that, so its escrow stays
/// until then.
pub struct SettleDelay;

impl Get<u32> for SettleDelay {
	fn get() -> u32 {
		CLAIM_PERIODS + 1
	}
}

impl pallet_keymarket_activity::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Ursulas = crate::Staking;
	type Policies = crate::Policies;
	type Offences = crate::Slashing;
	type WorkerKey = pallet_keymarket_staking::crypto::WorkerAuthId;
	/// A round's gateways attest served work under the committee scheme.
	type Committees = crate::Gateway;
	/// Governance (sudo, here) selects the scheme.
	type SchemeOrigin = frame_system::EnsureRoot<AccountId>;
	/// Sixteen leaves opened: faking a quarter of a claim is caught 99 % of the time
	/// (docs/activity.md).
	type Challenges = ConstU32<16>;
	/// The beacon block comes four blocks after the claim: past GRANDPA's usual lag, so the
	/// claim is final (or nearly) when the beacon is drawn; less than a period on every preset.
	type BeaconDelay = ConstU32<4>;
	type ClaimPeriods = ConstU32<CLAIM_PERIODS>;
	type BlocksPerPeriod = BlocksPerPeriod;
	/// A hundred thousand requests a claim (a tree 17 levels deep).
	type MaxOmega = ConstU32<100_000>;
	/// A served record of 32 capsules of 256 bytes and 32 fragments of 1 KiB, with its request
	/// and ticket.
	type MaxRecordLen = ConstU32<{ 48 * 1024 }>;
	type WeightInfo = crate::weights::pallet_keymarket_activity::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ActivityBenchmarks;
}

/// A worker and a policy for the activity benchmarks, made through the staking and policies
/// pallets' calls, in the `FeesOnly` stage.
#[cfg(feature = "runtime-benchmarks")]
pub struct ActivityBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_activity::BenchmarkHelper<AccountId> for ActivityBenchmarks {
	fn worker_and_policy(
		signing_key: [u8; 32],
		bob: AccountId,
	) -> (AccountId, pallet_keymarket_activity::PolicyId) {
		use pallet_keymarket_policies::{fixture::BOB_KEY, BenchmarkHelper};
		// A worker is active from the period after its first commitment.
		<Self as pallet_keymarket_activity::BenchmarkHelper<AccountId>>::go_to_period(2);
		let worker = super::PoliciesBenchmarks::active_ursula(5_000, BOB_KEY, signing_key);
		let id = [5u8; 16];
		super::policies::benchmark_policy(5_000, id, &bob, alloc::vec![worker.clone()]);
		pallet_keymarket_staking::CurrentStage::<Runtime>::put(
			keymarket_primitives::staking::Stage::FeesOnly,
		);
		(worker, id)
	}

	fn go_to_period(period: pallet_keymarket_activity::Period) {
		<super::PoliciesBenchmarks as pallet_keymarket_policies::BenchmarkHelper<AccountId>>::go_to_period(period)
	}

	fn committee(
		members: alloc::vec::Vec<(AccountId, [u8; 32])>,
		threshold: u32,
	) -> keymarket_primitives::time::Round {
		use keymarket_primitives::time::Clock;
		use pallet_keymarket_gateway::types::{Gateway, RoundGateways};
		let round = <crate::Staking as Clock>::current_round();
		let gateways: alloc::vec::Vec<_> = members
			.into_iter()
			.map(|(worker, signing_key)| Gateway { worker, signing_key })
			.collect();
		pallet_keymarket_gateway::Rounds::<Runtime>::insert(
			round,
			RoundGateways {
				seed: [0; 32],
				gateways: gateways.try_into().expect("at most MAX_GATEWAYS members"),
				threshold,
			},
		);
		round
	}
}
