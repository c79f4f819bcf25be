//! v2 benchmarks: judging an offence, cancelling a slash, and the start-of-period work (applying
//! `n` due slashes, forgetting `n` reported offences), each in its worst case: the most
//! reporters, stakers with the most sub-stakes.

use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};

use crate::*;

/// Offence number `evidence`, with the most reporters, each a fresh account (paying them creates
/// their accounts: the worst case of applying it).
fn offence<T: Config>(
	offender: &T::AccountId,
	evidence: u32,
	period: u32,
) -> Offence<T::AccountId, T::Balance> {
	let mut hash = [0u8; 32];
	hash[..4].copy_from_slice(&evidence.to_le_bytes());
	Offence {
		offender: offender.clone(),
		kind: OffenceKind::IncorrectCfrag,
		evidence: hash,
		period,
		reporters: (0..T::MaxReporters::get()).map(|i| account("reporter", i, evidence)).collect(),
	}
}

/// Reports `n` offences in period 0, by `n` staked workers; they are due in `DeferPeriods`.
fn reported<T: Config>(n: u32) -> Vec<SlashId> {
	T::BenchmarkHelper::go_to_period(0);
	(0..n)
		.map(|i| {
			let worker = T::BenchmarkHelper::staked_worker(i);
			Pallet::<T>::do_report(offence::<T>(&worker, i, 0)).expect("room for n offences")
		})
		.collect()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn report() -> Result<(), BenchmarkError> {
		let worker = T::BenchmarkHelper::staked_worker(0);
		T::BenchmarkHelper::go_to_period(0);
		// History makes the capsule-fragment rule read the staker's record.
		Pallet::<T>::do_report(offence::<T>(&worker, 1, 0)).map_err(|_| "first report")?;
		let second = offence::<T>(&worker, 2, 0);
		#[block]
		{
			Pallet::<T>::do_report(second).map_err(|_| "second report")?;
		}
		Ok(())
	}

	#[benchmark]
	fn cancel_slash() -> Result<(), BenchmarkError> {
		let ids = reported::<T>(1);
		let origin =
			T::CancelOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ids[0]);
		assert!(Slashes::<T>::get(ids[0]).is_none());
		Ok(())
	}

	#[benchmark]
	fn apply_due_slashes(n: Linear<0, { T::MaxSlashesPerPeriod::get() }>) {
		reported::<T>(n);
		let due = T::DeferPeriods::get();
		T::BenchmarkHelper::go_to_period(due);
		#[block]
		{
			Pallet::<T>::start_period(due);
		}
		assert!(Slashes::<T>::iter().next().is_none());
	}

	#[benchmark]
	fn prune_reported(n: Linear<0, { T::MaxSlashesPerPeriod::get() }>) {
		reported::<T>(n);
		T::BenchmarkHelper::go_to_period(T::DeferPeriods::get());
		Pallet::<T>::start_period(T::DeferPeriods::get());
		T::BenchmarkHelper::go_to_period(T::EvidenceWindow::get());
		#[block]
		{
			Pallet::<T>::start_period(T::EvidenceWindow::get());
		}
		assert!(Reported::<T>::iter().next().is_none());
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_test_ext(),
		crate::tests::mock::Test
	);
}
