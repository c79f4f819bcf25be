//! v2 benchmarks of the calls and of a session's choice, each in its worst case: a full list of
//! qualifying candidates, the most invulnerables.

use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;
use pallet_session::SessionManager;

use crate::*;

/// Lists `c` qualifying candidates, the later with more stake (so a newcomer displaces the
/// first).
fn listed<T: Config>(c: u32) -> Vec<T::AccountId> {
	let min = T::MinValidatorStake::get();
	(0..c)
		.map(|i| {
			let who = T::BenchmarkHelper::qualified(i, min.saturating_add(i as u128));
			Pallet::<T>::do_offer(who.clone()).expect("room for c candidates");
			who
		})
		.collect()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_invulnerables(n: Linear<1, { T::MaxValidators::get() }>) -> Result<(), BenchmarkError> {
		let candidates = listed::<T>(T::MaxCandidates::get());
		// The named are candidates as far as they go: each leaves the list.
		let named: Vec<T::AccountId> = (0..n)
			.map(|i| {
				candidates
					.get(i as usize)
					.cloned()
					.unwrap_or_else(|| T::BenchmarkHelper::qualified(1_000 + i, 0))
			})
			.collect();
		let origin = T::InvulnerablesOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, named.clone());
		assert_eq!(Invulnerables::<T>::get().into_inner(), named);
		Ok(())
	}

	#[benchmark]
	fn offer(c: Linear<0, { T::MaxCandidates::get() - 1 }>) -> Result<(), BenchmarkError> {
		listed::<T>(c);
		let stake = T::MinValidatorStake::get().saturating_mul(2);
		let who = T::BenchmarkHelper::qualified(10_000, stake);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Candidates::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn offer_displacing() -> Result<(), BenchmarkError> {
		let before = listed::<T>(T::MaxCandidates::get());
		let stake = T::MinValidatorStake::get().saturating_mul(2);
		let who = T::BenchmarkHelper::qualified(10_000, stake);
		#[block]
		{
			Pallet::<T>::offer(RawOrigin::Signed(who.clone()).into())
				.map_err(|_| "the newcomer displaces the weakest")?;
		}
		let after = Candidates::<T>::get();
		assert!(after.contains(&who) && before.iter().any(|c| !after.contains(c)));
		Ok(())
	}

	#[benchmark]
	fn retire(c: Linear<1, { T::MaxCandidates::get() }>) -> Result<(), BenchmarkError> {
		let candidates = listed::<T>(c);
		let last = candidates.last().cloned().ok_or(BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()));
		assert!(!Candidates::<T>::get().contains(&last));
		Ok(())
	}

	#[benchmark]
	fn new_session(c: Linear<0, { T::MaxCandidates::get() }>) -> Result<(), BenchmarkError> {
		// Two thirds of the places and one more to invulnerables: the most room for candidates.
		let invulnerables: Vec<T::AccountId> = (0..T::MaxValidators::get() * 2 / 3 + 1)
			.map(|i| T::BenchmarkHelper::qualified(20_000 + i, 0))
			.collect();
		Invulnerables::<T>::put(frame_support::BoundedVec::truncate_from(invulnerables));
		listed::<T>(c);
		let chosen;
		#[block]
		{
			chosen = <Pallet<T> as SessionManager<T::AccountId>>::new_session(2);
		}
		if c > 0 {
			assert!(chosen.is_some());
		}
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_test_ext(),
		crate::tests::mock::Test
	);
}
