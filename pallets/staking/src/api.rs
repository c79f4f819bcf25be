//! What the runtime API shows: stakers, Ursulas, the active set and samples of it. Read-only:
//! periods that passed are applied in the view, not in storage.

use alloc::vec::Vec;
use keymarket_primitives::{
	sampling::{sample_weighted, SamplingError},
	staking::{StakerView, SubStakeView, UrsulaView},
};
use sp_runtime::SaturatedConversion;

use crate::{BalanceOf, Config, Downtime, Pallet, Period, Stakers, SubStakes, WorkerInfo, Workers};

impl<T: Config> Pallet<T> {
	/// A staker as of the current period.
	pub fn staker_view(who: &T::AccountId) -> Option<StakerView<T::AccountId, BalanceOf<T>>> {
		let info = Stakers::<T>::get(who)?;
		let passed = Self::current_period().saturating_sub(info.last_processed_period);
		let mut view = StakerView {
			locked: Default::default(),
			unlocked: info.unlocked,
			sub_stakes: Vec::new(),
			wind_down: info.wind_down,
			restake: info.restake,
			worker: info.worker.clone(),
			unrewarded_periods: info.unrewarded.iter().map(|c| c.period).collect(),
			downtime: Downtime::<T>::get(who).into_inner(),
		};
		for sub in SubStakes::<T>::get(who) {
			let remaining_periods = if info.wind_down {
				sub.remaining_periods.saturating_sub(passed)
			} else {
				sub.remaining_periods
			};
			if remaining_periods > 0 {
				view.locked += sub.value;
			} else {
				view.unlocked += sub.value;
			}
			view.sub_stakes.push(SubStakeView {
				value: sub.value,
				remaining_periods,
				first_period: sub.first_period,
			});
		}
		Some(view)
	}

	fn ursula_view(
		worker: T::AccountId,
		info: WorkerInfo<T::AccountId>,
		locked: BalanceOf<T>,
	) -> UrsulaView<T::AccountId, BalanceOf<T>> {
		UrsulaView {
			worker,
			staker: info.staker,
			endpoint: info.endpoint.into_inner(),
			umbral_key: info.umbral_key,
			signing_key: info.signing_key,
			registered: info.registered,
			locked,
			last_committed_period: info.last_committed_period,
		}
	}

	/// A bonded worker, with its staker's stake locked now.
	pub fn ursula(worker: T::AccountId) -> Option<UrsulaView<T::AccountId, BalanceOf<T>>> {
		let info = Workers::<T>::get(&worker)?;
		let now = Self::current_period();
		let locked = Stakers::<T>::get(&info.staker)
			.map(|staker| Self::commitment_for(&info.staker, &staker, now).locked)
			.unwrap_or_default();
		Some(Self::ursula_view(worker, info, locked))
	}

	/// The active Ursulas of `period` (the current or the next one): registered workers that
	/// committed to it, each with the stake its staker committed for it (its weight in
	/// sampling, fixed when the commitment was made), ordered by worker account so that every
	/// client samples the same list. Empty for a period whose commitments were settled.
	pub fn active_ursulas(period: Period) -> Vec<UrsulaView<T::AccountId, BalanceOf<T>>> {
		let mut active: Vec<_> = Workers::<T>::iter()
			.filter(|(_, info)| info.registered && Self::worker_committed_to(info, period))
			.filter_map(|(worker, info)| {
				let committed = Stakers::<T>::get(&info.staker)?
					.unrewarded
					.into_iter()
					.find(|commitment| commitment.period == period)?;
				Some(Self::ursula_view(worker, info, committed.locked))
			})
			.collect();
		active.sort_by(|a, b| a.worker.cmp(&b.worker));
		active
	}

	/// `n` distinct active Ursulas of `period`, drawn by locked stake from `seed`'s hash chain
	/// (see `keymarket_primitives::sampling`). Cost: `O(n · active Ursulas)`.
	pub fn sample(
		seed: [u8; 32],
		n: u32,
		period: Period,
	) -> Result<Vec<T::AccountId>, SamplingError> {
		let active = Self::active_ursulas(period);
		let weights: Vec<u128> = active.iter().map(|u| u.locked.saturated_into()).collect();
		let chosen = sample_weighted(seed, &weights, n as usize)?;
		Ok(chosen.into_iter().map(|i| active[i as usize].worker.clone()).collect())
	}
}
