//! Policies: grants, fees, places and deposits, and the adjudicator. Prices are governance's
//! parameters ([`super::parameters`]); how long policies may last is the chain's durations.

use frame_support::traits::ConstU32;

use super::{
	parameters::dynamic_params::policies,
	time::{EvidenceWindow, MaxPolicyPeriods, MaxStartDelay},
};
use crate::{Balances, Runtime, RuntimeEvent, RuntimeHoldReason};
#[cfg(feature = "runtime-benchmarks")]
use {
	super::{slashing::SlashingBenchmarks, time::BlocksPerPeriod},
	crate::{AccountId, RuntimeOrigin, System},
	frame_support::traits::Get,
};

/// The most policies one Ursula serves at a time, and the most places a staker may offer:
/// bounds the fee work of one commitment.
pub type MaxPoliciesPerUrsula = ConstU32<64>;

impl pallet_keymarket_policies::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Ursulas = crate::Staking;
	type Offences = crate::Slashing;
	type MaxUrsulas = ConstU32<16>;
	type MaxPoliciesPerUrsula = MaxPoliciesPerUrsula;
	type MaxPolicyPeriods = MaxPolicyPeriods;
	type MaxStartDelay = MaxStartDelay;
	type EvidenceRetention = EvidenceWindow;
	/// The activity pallet's claim window plus one: a policy's last period's proven service
	/// is paid from its escrow before it is settled.
	type SettleDelay = super::activity::SettleDelay;
	/// An encrypted key fragment takes about 530 bytes.
	type MaxKeyFragLen = ConstU32<1024>;
	type MinFeeRate = policies::MinFeeRate;
	type PlaceFee = policies::PlaceFee;
	type MaxPendingPerOwner = ConstU32<16>;
	type DepositBase = policies::DepositBase;
	type DepositPerUrsula = policies::DepositPerUrsula;
	/// The prices of the last 64 periods' policies stay readable (`keymarket_pricesPaid`).
	type PriceHistoryPeriods = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_keymarket_policies::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = PoliciesBenchmarks;
}

/// A policy `id` for Bob `bob` served by `workers`, created by a funded Alice of index `alice`
/// through the policies pallet's call with the adjudicator fixture's keys: what the gateway
/// and lottery benchmarks stand on.
#[cfg(feature = "runtime-benchmarks")]
pub fn benchmark_policy(
	alice: u32,
	id: keymarket_primitives::policies::PolicyId,
	bob: &AccountId,
	workers: alloc::vec::Vec<AccountId>,
) {
	use codec::Encode;
	use frame_support::traits::{fungible::Mutate, Get};
	use keymarket_primitives::policies::{fixture::*, EncryptedKeyFrag, WIRE_VERSION};
	let now = crate::Staking::current_period();
	let envelope: frame_support::BoundedVec<u8, _> = EncryptedKeyFrag {
		version: WIRE_VERSION,
		capsule: CAPSULE.to_vec(),
		ciphertext: alloc::vec![7; 300],
	}
	.encode()
	.try_into()
	.expect("a short key fragment");
	let owner: AccountId = frame_benchmarking::account("alice", alice, 0);
	let _ = crate::Balances::set_balance(&owner, super::staking::MinStake::get() * 1_000);
	let grant = pallet_keymarket_policies::PolicyGrant {
		bob: bob.clone(),
		bob_key: BOB_KEY,
		verifying_key: VERIFYING_KEY,
		policy_key: POLICY_KEY,
		threshold: 1,
		start: now,
		end: now + 100,
		rate: super::parameters::dynamic_params::policies::MinFeeRate::get(),
		// What the lottery benchmarks' certain tickets of face value 1,000 are worth.
		price: 1_000,
	};
	let kfrags: alloc::vec::Vec<_> = workers.iter().map(|_| envelope.clone()).collect();
	crate::Policies::create_policy(
		RuntimeOrigin::signed(owner),
		id,
		grant,
		workers.try_into().expect("at most MaxUrsulas"),
		kfrags.try_into().expect("one key fragment each"),
	)
	.expect("active Ursulas with room take the policy");
}

/// Active Ursulas for the policies benchmarks, made through the staking pallet's calls.
#[cfg(feature = "runtime-benchmarks")]
pub struct PoliciesBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_policies::BenchmarkHelper<AccountId> for PoliciesBenchmarks {
	fn active_ursula(index: u32, umbral_key: [u8; 33], signing_key: [u8; 32]) -> AccountId {
		use pallet_keymarket_slashing::BenchmarkHelper;
		let now = crate::Staking::current_period();
		// Bond and commit in the period before, so that the worker is committed to this one.
		System::set_block_number(now.saturating_sub(1) * BlocksPerPeriod::get());
		let worker = SlashingBenchmarks::staked_worker(1_000 + index);
		// Terms of its own, in force from this period: a grant reads them (the worst case).
		let staker = pallet_keymarket_staking::Workers::<Runtime>::get(&worker)
			.expect("a bonded worker")
			.staker;
		crate::Staking::set_terms(
			RuntimeOrigin::signed(staker),
			policies::MinFeeRate::get(),
			MaxPoliciesPerUrsula::get(),
		)
		.expect("terms within the range");
		let origin = RuntimeOrigin::signed(worker.clone());
		crate::Staking::register_for_benchmarks(&worker, umbral_key, signing_key)
			.expect("a bonded worker registers");
		crate::Staking::commit_to_next_period(origin).expect("a registered worker commits");
		System::set_block_number(now * BlocksPerPeriod::get());
		worker
	}

	fn go_to_period(period: keymarket_primitives::staking::Period) {
		<SlashingBenchmarks as pallet_keymarket_slashing::BenchmarkHelper<AccountId>>::go_to_period(
			period,
		)
	}
}
