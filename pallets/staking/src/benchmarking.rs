//! v2 benchmarks of every call, each in its worst case: the staker holds the most sub-stakes,
//! periods have passed (so the catch-up walks every sub-stake), and storage vectors are full.

use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::{
	offchain::{AppCrypto, SigningTypes},
	pallet_prelude::BlockNumberFor,
	RawOrigin,
};
use sp_runtime::{
	traits::{IdentifyAccount, Saturating},
	RuntimeAppPublic,
};

use crate::*;

fn assert_last_event<T: Config>(event: Event<T>) {
	let event: <T as Config>::RuntimeEvent = event.into();
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

/// The value of each benchmark sub-stake: twice the minimum, so that it can be divided.
fn sub_stake_value<T: Config>() -> BalanceOf<T> {
	T::MinStake::get().saturating_mul(2u32.into())
}

/// A staker with enough free balance for the most sub-stakes and the fees, but not so much that
/// inflation would be over (rewards are part of the worst cases).
fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let slots: BalanceOf<T> = T::MaxSubStakes::get().saturating_add(4).into();
	let _ = T::Currency::set_balance(&who, sub_stake_value::<T>().saturating_mul(slots));
	who
}

/// A fresh worker key in the keystore and the worker account it stands for.
fn worker_key<T: Config>() -> (T::Public, T::AccountId) {
	type Key<T> = <<T as Config>::WorkerKey as AppCrypto<
		<T as SigningTypes>::Public,
		<T as SigningTypes>::Signature,
	>>::RuntimeAppPublic;
	type Generic<T> = <<T as Config>::WorkerKey as AppCrypto<
		<T as SigningTypes>::Public,
		<T as SigningTypes>::Signature,
	>>::GenericPublic;
	let generic: Generic<T> = <Key<T> as RuntimeAppPublic>::generate_pair(None).into();
	let public: T::Public = generic.into();
	(public.clone(), public.into_account())
}

/// A fresh Umbral-like key (secp256k1) and signing key (sr25519) from the keystore, with
/// `worker`'s proofs of possession.
fn proven_keys<T: Config>(worker: &T::AccountId) -> ([u8; 33], [u8; 32], [u8; 65], [u8; 64]) {
	use sp_runtime::app_crypto::{ecdsa, sr25519, RuntimePublic};
	const KEY: sp_runtime::KeyTypeId = sp_runtime::KeyTypeId(*b"bnch");
	let umbral = ecdsa::Public::generate_pair(KEY, None);
	let signing = sr25519::Public::generate_pair(KEY, None);
	let payload =
		keymarket_primitives::staking::registration_payload(worker, &umbral.0, &signing.0);
	let umbral_proof = umbral.sign(KEY, &payload).expect("the keystore signs");
	let signing_proof = signing.sign(KEY, &payload).expect("the keystore signs");
	(umbral.0, signing.0, umbral_proof.0, signing_proof.0)
}

/// The worst case of a commitment: a staker with the most sub-stakes, winding down, re-staking,
/// a full downtime record and a gap to add to it, and two committed periods whose rewards are
/// due. Returns the staker, the worker key and the worker; the next period is
/// `current_period() + 1`.
fn worker_with_due_rewards<T: Config>() -> (T::AccountId, T::Public, T::AccountId) {
	let staker = staker_with::<T>(T::MaxSubStakes::get(), T::MaxLockPeriods::get());
	let (public, worker) = worker_key::<T>();
	Pallet::<T>::do_bond_worker(&staker, Some(worker.clone())).unwrap();
	Pallet::<T>::record_registration(&worker, vec![], [2; 33], [7; 32]).unwrap();
	Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
	Downtime::<T>::insert(
		&staker,
		BoundedVec::truncate_from(vec![(0, 0); MAX_DOWNTIME_RECORDS as usize]),
	);
	go_to_period::<T>(0);
	Pallet::<T>::do_commit(&worker, 1).unwrap();
	go_to_period::<T>(1);
	Pallet::<T>::do_commit(&worker, 2).unwrap();
	go_to_period::<T>(4);
	(staker, public, worker)
}

/// A staker with `count` sub-stakes locked for `periods` each.
fn staker_with<T: Config>(count: u32, periods: u32) -> T::AccountId {
	let staker = funded::<T>("staker");
	for _ in 0..count {
		Pallet::<T>::do_stake(&staker, sub_stake_value::<T>(), periods)
			.expect("the benchmark stake is within bounds");
	}
	staker
}

/// Moves to the first block of `period`.
fn go_to_period<T: Config>(period: u32) {
	let block: BlockNumberFor<T> = T::BlocksPerPeriod::get().saturating_mul(period.into());
	frame_system::Pallet::<T>::set_block_number(block);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn stake() {
		let staker = staker_with::<T>(T::MaxSubStakes::get() - 1, T::MinLockPeriods::get());
		let value = sub_stake_value::<T>();
		let periods = T::MaxLockPeriods::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), value, periods);
		assert_last_event::<T>(Event::Staked {
			staker,
			index: T::MaxSubStakes::get() - 1,
			value,
			periods,
		});
	}

	#[benchmark]
	fn increase_stake() {
		let max = T::MaxSubStakes::get();
		let staker = staker_with::<T>(max, T::MinLockPeriods::get() + 1);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(1);
		let value = T::MinStake::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), max - 1, value);
		assert_last_event::<T>(Event::StakeIncreased { staker, index: max - 1, value });
	}

	#[benchmark]
	fn divide_stake() {
		let max = T::MaxSubStakes::get();
		let staker = staker_with::<T>(max - 1, T::MinLockPeriods::get() + 1);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(1);
		let value = T::MinStake::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), 0, value, 1);
		assert_last_event::<T>(Event::StakeDivided {
			staker,
			index: 0,
			new_index: max - 1,
			value,
			extra_periods: 1,
		});
	}

	#[benchmark]
	fn prolong_stake() {
		let max = T::MaxSubStakes::get();
		let staker = staker_with::<T>(max, T::MinLockPeriods::get() + 1);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), max - 1, 1);
		assert_last_event::<T>(Event::StakeProlonged { staker, index: max - 1, periods: 1 });
	}

	#[benchmark]
	fn merge_stakes() {
		let max = T::MaxSubStakes::get().max(2);
		let staker = staker_with::<T>(max, T::MinLockPeriods::get() + 1);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), max - 1, 0);
		assert_last_event::<T>(Event::StakesMerged { staker, into: max - 1, from: 0 });
	}

	#[benchmark]
	fn remove_unused_sub_stake() {
		let max = T::MaxSubStakes::get();
		let periods = T::MinLockPeriods::get();
		let staker = staker_with::<T>(max, periods);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(periods);
		let value = sub_stake_value::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), 0);
		assert_last_event::<T>(Event::SubStakeRemoved { staker, index: 0, value });
	}

	#[benchmark]
	fn set_wind_down() {
		let staker = staker_with::<T>(T::MaxSubStakes::get(), T::MinLockPeriods::get() + 1);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), false);
		assert_last_event::<T>(Event::WindDownSet { staker, enabled: false });
	}

	#[benchmark]
	fn set_restake() {
		let staker = staker_with::<T>(T::MaxSubStakes::get(), T::MinLockPeriods::get() + 1);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), false);
		assert_last_event::<T>(Event::RestakeSet { staker, enabled: false });
	}

	#[benchmark]
	fn withdraw() {
		let max = T::MaxSubStakes::get();
		let periods = T::MinLockPeriods::get();
		let staker = staker_with::<T>(max, periods);
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(periods);
		// Every sub-stake unlocked and emptied, and the staker removed: the most work
		// withdrawal does.
		let value = sub_stake_value::<T>().saturating_mul(max.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), value);
		assert_last_event::<T>(Event::StakerRemoved { staker: staker.clone() });
		assert!(Stakers::<T>::get(&staker).is_none());
	}

	#[benchmark]
	fn bond_worker() {
		let staker = staker_with::<T>(T::MaxSubStakes::get(), T::MaxLockPeriods::get());
		let old: T::AccountId = account("worker", 0, 0);
		let new: T::AccountId = account("worker", 1, 0);
		Pallet::<T>::do_bond_worker(&staker, Some(old.clone())).unwrap();
		Pallet::<T>::record_registration(&old, vec![], [2; 33], [7; 32]).unwrap();
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		let now = T::MinWorkerPeriods::get();
		go_to_period::<T>(now);
		// The old worker committed to the next period: that commitment is dropped.
		Pallet::<T>::do_commit(&old, now + 1).unwrap();
		// The new one served this staker before (its record is cleared), and the period's list
		// of leaving workers is nearly full.
		FormerWorkers::<T>::insert(&new, (staker.clone(), 0));
		let others = (1..T::MaxWorkerChangesPerPeriod::get()).map(|i| account("left", i, 0));
		WorkersLeftIn::<T>::insert(now, BoundedVec::truncate_from(others.collect::<Vec<_>>()));
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), Some(new.clone()));
		assert_last_event::<T>(Event::WorkerBonded { staker, worker: Some(new) });
		assert!(FormerWorkers::<T>::contains_key(&old));
	}

	#[benchmark]
	fn register_worker() {
		let staker = staker_with::<T>(1, T::MinLockPeriods::get());
		let worker: T::AccountId = account("worker", 0, 0);
		Pallet::<T>::do_bond_worker(&staker, Some(worker.clone())).unwrap();
		let endpoint = vec![b'u'; <MaxEndpointLen as Get<u32>>::get() as usize];
		// Real keys from the keystore, with real proofs: both signatures are checked.
		let (umbral_key, signing_key, umbral_proof, signing_proof) = proven_keys::<T>(&worker);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(worker.clone()),
			endpoint,
			umbral_key,
			signing_key,
			umbral_proof,
			signing_proof,
		);
		assert_last_event::<T>(Event::WorkerRegistered { worker, staker });
	}

	#[benchmark]
	fn commit_to_next_period() {
		let (staker, _, worker) = worker_with_due_rewards::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()));
		assert_last_event::<T>(Event::Committed { worker, staker, period: 5 });
	}

	/// The pool's check of a worker's duty: the worst case of the commitment's state checks.
	#[benchmark]
	fn check_duty() -> Result<(), BenchmarkError> {
		let (_, _, worker) = worker_with_due_rewards::<T>();
		#[block]
		{
			Pallet::<T>::duty_validity(&worker).map_err(|_| "the commitment is due")?;
		}
		Ok(())
	}

	#[benchmark]
	fn mint() {
		let (staker, _, _) = worker_with_due_rewards::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()));
		assert!(Stakers::<T>::get(&staker).unwrap().unrewarded.is_empty());
	}

	#[benchmark]
	fn set_stage() -> Result<(), BenchmarkError> {
		let origin =
			<T::StageOrigin as frame_support::traits::EnsureOrigin<T::RuntimeOrigin>>::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Stage::FeesOnly);
		assert_last_event::<T>(Event::StageChanged { stage: Stage::FeesOnly });
		Ok(())
	}

	#[benchmark]
	fn set_terms() {
		// The worst case: a change made in an earlier period is rolled into force first.
		let staker = staker_with::<T>(1, T::MinLockPeriods::get() + 1);
		let lowest = T::MinFeeRate::get();
		Pallet::<T>::do_set_terms(&staker, Terms { min_fee_rate: lowest, capacity: 1 }).unwrap();
		go_to_period::<T>(2);
		let terms = Terms { min_fee_rate: T::MaxFeeRate::get(), capacity: T::MaxCapacity::get() };
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), terms.min_fee_rate, terms.capacity);
		assert_last_event::<T>(Event::TermsSet { staker, terms, from: 3 });
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_test_ext(),
		crate::tests::mock::Test
	);
}
