//! The terms a staker offers its Ursula's service on: the least fee rate per period a new
//! policy must pay and the most policies it serves at a time. A change takes effect from the
//! next period, so an Alice who read the terms in force is never surprised within the period;
//! policies made before keep their rate and places.

use frame_support::{ensure, pallet_prelude::*};
use sp_runtime::{traits::Saturating, DispatchResult};

use crate::{
	BalanceOf, Config, Error, Event, Pallet, Period, StakerTerms, Stakers, Terms, TermsRecord,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_terms(
		staker: &T::AccountId,
		terms: Terms<BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(Stakers::<T>::contains_key(staker), Error::<T>::NotAStaker);
		ensure!(
			terms.min_fee_rate >= T::MinFeeRate::get()
				&& terms.min_fee_rate <= T::MaxFeeRate::get(),
			Error::<T>::FeeRateOutOfRange
		);
		ensure!(
			(1..=T::MaxCapacity::get()).contains(&terms.capacity),
			Error::<T>::CapacityOutOfRange
		);
		let now = Self::current_period();
		let from = now.saturating_add(1);
		StakerTerms::<T>::mutate(staker, |record| {
			let old = record.unwrap_or_default();
			// What holds now stays in force through this period; the change waits for the next.
			*record = Some(TermsRecord { in_force: old.set_for(now), next: Some((from, terms)) });
		});
		Self::deposit_event(Event::TermsSet { staker: staker.clone(), terms, from });
		Ok(())
	}

	/// The terms `staker` offers in `period`: what it set, read inside governance's current
	/// range and the chain's most places (raised to the lowest rate, lowered to the highest),
	/// or the defaults (the lowest rate, the most places) if it set none.
	pub fn terms_of(staker: &T::AccountId, period: Period) -> Terms<BalanceOf<T>> {
		Self::bounded_terms(StakerTerms::<T>::get(staker).and_then(|record| record.set_for(period)))
	}

	/// Terms a staker set (or the defaults), inside the range and the maximum in force.
	pub fn bounded_terms(set: Option<Terms<BalanceOf<T>>>) -> Terms<BalanceOf<T>> {
		let (lowest, highest) = (T::MinFeeRate::get(), T::MaxFeeRate::get());
		match set {
			// The lowest rate wins if governance ever crossed the two.
			Some(terms) => Terms {
				min_fee_rate: terms.min_fee_rate.min(highest).max(lowest),
				capacity: terms.capacity.min(T::MaxCapacity::get()),
			},
			None => Terms { min_fee_rate: lowest, capacity: T::MaxCapacity::get() },
		}
	}

	/// The last period through which `staker` keeps at least `MinStake` locked, as things
	/// stand (`None`: its locks stand still, wind-down is off; a period before the current
	/// one: not even now).
	pub fn locked_through(staker: &T::AccountId) -> Option<Period> {
		let view = Self::staker_view(staker)?;
		if !view.wind_down {
			return None;
		}
		let now = Self::current_period();
		// The longest lock first: the stake still locked after `r` more periods is the sum of
		// the sub-stakes whose lock is longer than `r`.
		let mut locks: alloc::vec::Vec<_> =
			view.sub_stakes.iter().map(|sub| (sub.remaining_periods, sub.value)).collect();
		locks.sort_unstable_by_key(|(remaining, _)| core::cmp::Reverse(*remaining));
		let mut locked = BalanceOf::<T>::default();
		for (remaining, value) in locks {
			locked = locked.saturating_add(value);
			if locked >= T::MinStake::get() {
				// Locked in the periods `now..now + remaining`.
				return Some(now.saturating_add(remaining).saturating_sub(1));
			}
		}
		Some(now.saturating_sub(1))
	}

	/// The invariant of terms: only stakers have them.
	pub(crate) fn terms_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for staker in StakerTerms::<T>::iter_keys() {
			ensure!(Stakers::<T>::contains_key(&staker), "terms of an account that is no staker");
		}
		Ok(())
	}
}
