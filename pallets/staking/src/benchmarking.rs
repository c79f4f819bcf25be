//! v2 benchmarks of every call, each in its worst case: the staker holds the most sub-stakes,
//! periods have passed (so the catch-up walks every sub-stake), and storage vectors are full.

use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{Bounded, Saturating};

use crate::*;

fn assert_last_event<T: Config>(event: Event<T>) {
	let event: <T as Config>::RuntimeEvent = event.into();
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

/// The value of each benchmark sub-stake: twice the minimum, so that it can be divided.
fn sub_stake_value<T: Config>() -> BalanceOf<T> {
	T::MinStake::get().saturating_mul(2u32.into())
}

/// A staker with plenty of free balance.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	who
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
		// Every sub-stake unlocked and emptied: the most work withdrawal does.
		let value = sub_stake_value::<T>().saturating_mul(max.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), value);
		assert_last_event::<T>(Event::Withdrawn { staker, value });
	}

	#[benchmark]
	fn bond_worker() {
		let staker = staker_with::<T>(T::MaxSubStakes::get(), T::MinLockPeriods::get() + 1);
		let old: T::AccountId = account("worker", 0, 0);
		let new: T::AccountId = account("worker", 1, 0);
		Pallet::<T>::do_bond_worker(&staker, Some(old)).unwrap();
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		go_to_period::<T>(T::MinWorkerPeriods::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()), Some(new.clone()));
		assert_last_event::<T>(Event::WorkerBonded { staker, worker: Some(new) });
	}

	#[benchmark]
	fn register_worker() {
		let staker = staker_with::<T>(1, T::MinLockPeriods::get());
		let worker: T::AccountId = account("worker", 0, 0);
		Pallet::<T>::do_bond_worker(&staker, Some(worker.clone())).unwrap();
		let endpoint = vec![b'u'; <MaxEndpointLen as Get<u32>>::get() as usize];
		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), endpoint, [2; 33], [7; 32]);
		assert_last_event::<T>(Event::WorkerRegistered { worker, staker });
	}

	#[benchmark]
	fn commit_to_next_period() {
		let periods = T::MaxLockPeriods::get();
		let staker = staker_with::<T>(T::MaxSubStakes::get(), periods);
		let worker: T::AccountId = account("worker", 0, 0);
		Pallet::<T>::do_bond_worker(&staker, Some(worker.clone())).unwrap();
		Pallet::<T>::do_register_worker(&worker, vec![], [2; 33], [7; 32]).unwrap();
		Pallet::<T>::do_set_wind_down(&staker, true).unwrap();
		// A full downtime record, and a gap to add to it: the oldest entry is dropped.
		Downtime::<T>::insert(
			&staker,
			BoundedVec::truncate_from(vec![(0, 0); MAX_DOWNTIME_RECORDS as usize]),
		);
		Pallet::<T>::do_commit_to_next_period(&worker).unwrap();
		go_to_period::<T>(3);
		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()));
		assert_last_event::<T>(Event::Committed { worker, staker, period: 4 });
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_test_ext(),
		crate::tests::mock::Test
	);
}
