//! Workers: bonding an Ursula node's account to a staker, its registration, and the per-period
//! availability commitment.

use frame_support::{ensure, pallet_prelude::*};
use sp_runtime::{traits::Saturating, DispatchResult};

use crate::{
	Config, Downtime, Error, Event, Pallet, Period, Stakers, SubStakes, WorkerInfo, Workers,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_bond_worker(
		staker: &T::AccountId,
		worker: Option<T::AccountId>,
	) -> DispatchResult {
		let mut info = Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		if info.worker == worker {
			return Ok(());
		}
		let now = Self::current_period();
		if info.worker.is_some() {
			let bonded_for = now.saturating_sub(info.worker_bonded_in);
			ensure!(bonded_for >= T::MinWorkerPeriods::get(), Error::<T>::WorkerBondTooRecent);
		}
		if let Some(new) = &worker {
			ensure!(!Workers::<T>::contains_key(new), Error::<T>::WorkerAlreadyBonded);
		}
		if let Some(old) = info.worker.take() {
			Workers::<T>::remove(old);
		}
		if let Some(new) = &worker {
			Workers::<T>::insert(
				new,
				WorkerInfo {
					staker: staker.clone(),
					endpoint: Default::default(),
					umbral_key: [0; 33],
					signing_key: [0; 32],
					registered: false,
					last_committed_period: None,
					committed_since: None,
				},
			);
		}
		info.worker = worker.clone();
		info.worker_bonded_in = now;
		Stakers::<T>::insert(staker, info);
		Self::deposit_event(Event::WorkerBonded { staker: staker.clone(), worker });
		Ok(())
	}

	pub(crate) fn do_register_worker(
		worker: &T::AccountId,
		endpoint: alloc::vec::Vec<u8>,
		umbral_key: [u8; 33],
		signing_key: [u8; 32],
	) -> DispatchResult {
		let endpoint: BoundedVec<u8, _> =
			endpoint.try_into().map_err(|_| Error::<T>::EndpointTooLong)?;
		let staker = Workers::<T>::try_mutate(worker, |info| {
			let info = info.as_mut().ok_or(Error::<T>::NotAWorker)?;
			info.endpoint = endpoint;
			info.umbral_key = umbral_key;
			info.signing_key = signing_key;
			info.registered = true;
			Ok::<_, Error<T>>(info.staker.clone())
		})?;
		Self::deposit_event(Event::WorkerRegistered { worker: worker.clone(), staker });
		Ok(())
	}

	pub(crate) fn do_commit_to_next_period(worker: &T::AccountId) -> DispatchResult {
		let mut info = Workers::<T>::get(worker).ok_or(Error::<T>::NotAWorker)?;
		ensure!(info.registered, Error::<T>::WorkerNotRegistered);
		let now = Self::current_period();
		let next = now.saturating_add(1);
		ensure!(info.last_committed_period != Some(next), Error::<T>::AlreadyCommitted);

		// The stake must stay locked through the next period: a sub-stake winding down with one
		// period left unlocks when the next period starts.
		let staker = info.staker.clone();
		let staker_info = Self::catch_up(&staker).ok_or(Error::<T>::NotAStaker)?;
		let needed = if staker_info.wind_down { 2 } else { 1 };
		let locked_next = SubStakes::<T>::get(&staker)
			.iter()
			.filter(|sub| sub.remaining_periods >= needed)
			.fold(crate::BalanceOf::<T>::default(), |acc, sub| acc.saturating_add(sub.value));
		ensure!(locked_next >= T::MinStake::get(), Error::<T>::NotEnoughLockedStake);

		match info.last_committed_period {
			// Committed to the current period too: the run goes on.
			Some(last) if last == now => {},
			Some(last) => {
				Self::record_downtime(&staker, last.saturating_add(1), now);
				info.committed_since = Some(next);
			},
			None => info.committed_since = Some(next),
		}
		info.last_committed_period = Some(next);
		Workers::<T>::insert(worker, info);
		Self::deposit_event(Event::Committed { worker: worker.clone(), staker, period: next });
		Ok(())
	}

	fn record_downtime(staker: &T::AccountId, from: Period, to: Period) {
		Downtime::<T>::mutate(staker, |gaps| {
			if gaps.is_full() {
				gaps.remove(0);
			}
			// Cannot fail: a slot was freed above if needed.
			let _ = gaps.try_push((from, to));
		});
		Self::deposit_event(Event::DowntimeRecorded { staker: staker.clone(), from, to });
	}

	/// Whether `worker` committed to serve in `period`.
	pub fn committed_to(worker: &T::AccountId, period: Period) -> bool {
		Workers::<T>::get(worker).is_some_and(|info| Self::info_committed_to(&info, period))
	}

	fn info_committed_to(info: &WorkerInfo<T::AccountId>, period: Period) -> bool {
		match (info.committed_since, info.last_committed_period) {
			(Some(from), Some(to)) => from <= period && period <= to,
			_ => false,
		}
	}

	/// The active Ursulas of the current period: registered workers that committed to it, with
	/// their stakers.
	pub fn active_workers() -> alloc::vec::Vec<(T::AccountId, WorkerInfo<T::AccountId>)> {
		let now = Self::current_period();
		Workers::<T>::iter()
			.filter(|(_, info)| info.registered && Self::info_committed_to(info, now))
			.collect()
	}
}
