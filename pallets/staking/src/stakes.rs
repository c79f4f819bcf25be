//! Sub-stakes: creating, changing and withdrawing them, the passage of periods, and slashing.

use frame_support::storage::with_storage_layer;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use keymarket_primitives::{
	registry::{RegisteredKeys, StakeOf, UrsulaRegistry},
	slashing::{SlashOutcome, StakeSlasher},
	staking::Stage,
	time::{Clock, Round},
};
use sp_runtime::{
	traits::{CheckedAdd, CheckedSub, SaturatedConversion, Saturating, Zero},
	DispatchError, DispatchResult, Perbill,
};

use crate::{
	BalanceOf, Config, Error, Event, HoldReason, Issuance, Pallet, Period, StakerInfo, Stakers,
	SubStake, SubStakes, Terms,
};

impl<T: Config> Pallet<T> {
	/// The current period.
	pub fn current_period() -> Period {
		let now = frame_system::Pallet::<T>::block_number();
		let period = now / T::BlocksPerPeriod::get();
		// A u32 block number divided by a positive period length fits in a u32.
		TryInto::<u32>::try_into(period).unwrap_or(u32::MAX)
	}

	/// The current round.
	pub fn current_round() -> Round {
		let now = frame_system::Pallet::<T>::block_number();
		TryInto::<u32>::try_into(now / T::BlocksPerRound::get()).unwrap_or(u32::MAX)
	}

	/// The chain's durations, as its genesis set them.
	pub fn durations() -> keymarket_primitives::time::Durations {
		crate::Durations::<T>::get()
	}

	/// The tokens of `staker` that are still locked (sub-stakes whose lock has not run out), as of
	/// the last time its periods were brought up to date.
	pub fn locked(staker: &T::AccountId) -> BalanceOf<T> {
		SubStakes::<T>::get(staker)
			.iter()
			.filter(|sub| !sub.is_unlocked())
			.fold(Zero::zero(), |acc: BalanceOf<T>, sub| acc.saturating_add(sub.value))
	}

	/// Everything the pallet holds for `staker`: sub-stakes plus unlocked tokens.
	pub fn staked(staker: &T::AccountId) -> BalanceOf<T> {
		let in_sub_stakes = SubStakes::<T>::get(staker)
			.iter()
			.fold(Zero::zero(), |acc: BalanceOf<T>, sub| acc.saturating_add(sub.value));
		let unlocked = Stakers::<T>::get(staker).map(|info| info.unlocked).unwrap_or_default();
		in_sub_stakes.saturating_add(unlocked)
	}

	/// Applies the periods that passed since the staker was last touched: with wind-down on,
	/// every lock shortens by one per period.
	pub(crate) fn catch_up(
		staker: &T::AccountId,
	) -> Option<StakerInfo<T::AccountId, BalanceOf<T>>> {
		let mut info = Stakers::<T>::get(staker)?;
		let now = Self::current_period();
		let elapsed = now.saturating_sub(info.last_processed_period);
		if elapsed > 0 {
			if info.wind_down {
				SubStakes::<T>::mutate(staker, |subs| {
					for sub in subs.iter_mut() {
						sub.remaining_periods = sub.remaining_periods.saturating_sub(elapsed);
					}
				});
			}
			info.last_processed_period = now;
			Stakers::<T>::insert(staker, &info);
		}
		Some(info)
	}

	fn ensure_lock_in_bounds(periods: u32) -> DispatchResult {
		ensure!(periods >= T::MinLockPeriods::get(), Error::<T>::LockTooShort);
		ensure!(periods <= T::MaxLockPeriods::get(), Error::<T>::LockTooLong);
		Ok(())
	}

	/// Checks that `staker` may add `value` and holds it.
	fn hold_more(staker: &T::AccountId, value: BalanceOf<T>) -> DispatchResult {
		let total = Self::staked(staker).checked_add(&value).ok_or(Error::<T>::Overflow)?;
		ensure!(total <= T::MaxStake::get(), Error::<T>::StakeAboveMaximum);
		T::Currency::hold(&HoldReason::Staking.into(), staker, value)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	pub(crate) fn do_stake(
		staker: &T::AccountId,
		value: BalanceOf<T>,
		periods: u32,
	) -> DispatchResult {
		ensure!(value >= T::MinStake::get(), Error::<T>::StakeBelowMinimum);
		Self::ensure_lock_in_bounds(periods)?;
		let now = Self::current_period();
		let info = Self::catch_up(staker).unwrap_or_else(|| StakerInfo {
			wind_down: false,
			restake: true,
			unlocked: Zero::zero(),
			last_processed_period: now,
			worker: None,
			worker_bonded_in: now,
			answerable_until: 0,
			unrewarded: Default::default(),
		});
		let mut subs = SubStakes::<T>::get(staker);
		ensure!(
			subs.try_push(SubStake { value, remaining_periods: periods, first_period: now })
				.is_ok(),
			Error::<T>::TooManySubStakes
		);
		Self::hold_more(staker, value)?;
		let index = subs.len() as u32 - 1;
		SubStakes::<T>::insert(staker, subs);
		Stakers::<T>::insert(staker, info);
		Self::deposit_event(Event::Staked { staker: staker.clone(), index, value, periods });
		Ok(())
	}

	/// Runs `change` on the locked sub-stake at `index` of a caught-up staker and stores it.
	fn with_locked_sub_stake<R>(
		staker: &T::AccountId,
		index: u32,
		change: impl FnOnce(&mut SubStake<BalanceOf<T>>) -> Result<R, DispatchError>,
	) -> Result<R, DispatchError> {
		Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		SubStakes::<T>::try_mutate(staker, |subs| {
			let sub = subs.get_mut(index as usize).ok_or(Error::<T>::NoSuchSubStake)?;
			ensure!(!sub.is_unlocked(), Error::<T>::SubStakeUnlocked);
			change(sub)
		})
	}

	pub(crate) fn do_increase_stake(
		staker: &T::AccountId,
		index: u32,
		value: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!value.is_zero(), Error::<T>::StakeBelowMinimum);
		Self::with_locked_sub_stake(staker, index, |sub| {
			sub.value = sub.value.checked_add(&value).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})?;
		// The sub-stake already counts `value`; calls are transactional, so an error below rolls
		// the increase back.
		let total = Self::staked(staker);
		if total > T::MaxStake::get() {
			return Err(Error::<T>::StakeAboveMaximum.into());
		}
		T::Currency::hold(&HoldReason::Staking.into(), staker, value)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Self::deposit_event(Event::StakeIncreased { staker: staker.clone(), index, value });
		Ok(())
	}

	pub(crate) fn do_divide_stake(
		staker: &T::AccountId,
		index: u32,
		value: BalanceOf<T>,
		extra_periods: u32,
	) -> DispatchResult {
		ensure!(extra_periods > 0, Error::<T>::LockTooShort);
		ensure!(value >= T::MinStake::get(), Error::<T>::StakeBelowMinimum);
		let now = Self::current_period();
		let new_sub = Self::with_locked_sub_stake(staker, index, |sub| {
			let rest = sub.value.checked_sub(&value).ok_or(Error::<T>::StakeBelowMinimum)?;
			ensure!(rest >= T::MinStake::get(), Error::<T>::StakeBelowMinimum);
			let periods =
				sub.remaining_periods.checked_add(extra_periods).ok_or(Error::<T>::LockTooLong)?;
			ensure!(periods <= T::MaxLockPeriods::get(), Error::<T>::LockTooLong);
			sub.value = rest;
			Ok(SubStake { value, remaining_periods: periods, first_period: now })
		})?;
		// Calls are transactional: if there is no free slot, the split above is rolled back.
		let new_index = SubStakes::<T>::try_mutate(staker, |subs| {
			subs.try_push(new_sub).map_err(|_| Error::<T>::TooManySubStakes)?;
			Ok::<u32, Error<T>>(subs.len() as u32 - 1)
		})?;
		Self::deposit_event(Event::StakeDivided {
			staker: staker.clone(),
			index,
			new_index,
			value,
			extra_periods,
		});
		Ok(())
	}

	pub(crate) fn do_prolong_stake(
		staker: &T::AccountId,
		index: u32,
		periods: u32,
	) -> DispatchResult {
		ensure!(periods > 0, Error::<T>::LockTooShort);
		Self::with_locked_sub_stake(staker, index, |sub| {
			let total =
				sub.remaining_periods.checked_add(periods).ok_or(Error::<T>::LockTooLong)?;
			ensure!(total <= T::MaxLockPeriods::get(), Error::<T>::LockTooLong);
			sub.remaining_periods = total;
			Ok(())
		})?;
		Self::deposit_event(Event::StakeProlonged { staker: staker.clone(), index, periods });
		Ok(())
	}

	pub(crate) fn do_merge_stakes(staker: &T::AccountId, into: u32, from: u32) -> DispatchResult {
		ensure!(into != from, Error::<T>::SameSubStake);
		Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		SubStakes::<T>::try_mutate(staker, |subs| -> DispatchResult {
			let (a, b) = (into as usize, from as usize);
			let source = *subs.get(b).ok_or(Error::<T>::NoSuchSubStake)?;
			let target = subs.get(a).ok_or(Error::<T>::NoSuchSubStake)?;
			ensure!(!source.is_unlocked() && !target.is_unlocked(), Error::<T>::SubStakeUnlocked);
			ensure!(
				source.remaining_periods == target.remaining_periods,
				Error::<T>::SubStakesNotMergeable
			);
			let merged = target.value.checked_add(&source.value).ok_or(Error::<T>::Overflow)?;
			subs[a].value = merged;
			subs[a].first_period = subs[a].first_period.min(source.first_period);
			subs.remove(b);
			Ok(())
		})?;
		Self::deposit_event(Event::StakesMerged { staker: staker.clone(), into, from });
		Ok(())
	}

	pub(crate) fn do_remove_unused_sub_stake(staker: &T::AccountId, index: u32) -> DispatchResult {
		let mut info = Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		let value = SubStakes::<T>::try_mutate(staker, |subs| {
			let sub = subs.get(index as usize).ok_or(Error::<T>::NoSuchSubStake)?;
			ensure!(sub.is_unlocked(), Error::<T>::SubStakeStillLocked);
			Ok::<_, Error<T>>(subs.remove(index as usize).value)
		})?;
		info.unlocked = info.unlocked.checked_add(&value).ok_or(Error::<T>::Overflow)?;
		Stakers::<T>::insert(staker, info);
		Self::deposit_event(Event::SubStakeRemoved { staker: staker.clone(), index, value });
		Ok(())
	}

	pub(crate) fn do_set_wind_down(staker: &T::AccountId, enabled: bool) -> DispatchResult {
		Self::set_switch(staker, |info| info.wind_down = enabled)?;
		Self::deposit_event(Event::WindDownSet { staker: staker.clone(), enabled });
		Ok(())
	}

	pub(crate) fn do_set_restake(staker: &T::AccountId, enabled: bool) -> DispatchResult {
		Self::set_switch(staker, |info| info.restake = enabled)?;
		Self::deposit_event(Event::RestakeSet { staker: staker.clone(), enabled });
		Ok(())
	}

	/// Brings a staker up to date and changes one of its switches.
	fn set_switch(
		staker: &T::AccountId,
		set: impl FnOnce(&mut StakerInfo<T::AccountId, BalanceOf<T>>),
	) -> DispatchResult {
		let mut info = Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		set(&mut info);
		Stakers::<T>::insert(staker, info);
		Ok(())
	}

	/// Whether `staker`'s stake may still answer for an offence in period `now`.
	pub fn answerable(info: &StakerInfo<T::AccountId, BalanceOf<T>>, now: Period) -> bool {
		info.worker.is_some() || now < info.answerable_until
	}

	pub(crate) fn do_withdraw(staker: &T::AccountId, value: BalanceOf<T>) -> DispatchResult {
		let mut info = Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		ensure!(!Self::answerable(&info, Self::current_period()), Error::<T>::StakeStillAnswerable);
		let mut subs = SubStakes::<T>::get(staker);
		let in_unlocked_subs = subs
			.iter()
			.filter(|sub| sub.is_unlocked())
			.fold(BalanceOf::<T>::zero(), |acc, sub| acc.saturating_add(sub.value));
		let available = info.unlocked.saturating_add(in_unlocked_subs);
		ensure!(!value.is_zero() && value <= available, Error::<T>::InsufficientUnlocked);

		// Take from the loose unlocked tokens first, then from unlocked sub-stakes, which are
		// removed once empty.
		let mut left = value;
		let from_loose = left.min(info.unlocked);
		info.unlocked -= from_loose;
		left -= from_loose;
		for sub in subs.iter_mut().filter(|sub| sub.is_unlocked()) {
			let take = left.min(sub.value);
			sub.value -= take;
			left -= take;
		}
		subs.retain(|sub| !(sub.is_unlocked() && sub.value.is_zero()));

		T::Currency::release(&HoldReason::Staking.into(), staker, value, Precision::Exact)?;
		Self::deposit_event(Event::Withdrawn { staker: staker.clone(), value });
		if subs.is_empty() && info.unlocked.is_zero() && info.unrewarded.is_empty() {
			// Nothing held, no worker, no reward due: the record would be free state.
			SubStakes::<T>::remove(staker);
			Stakers::<T>::remove(staker);
			crate::Downtime::<T>::remove(staker);
			crate::RecentRewards::<T>::remove(staker);
			crate::Withheld::<T>::remove(staker);
			crate::StakerTerms::<T>::remove(staker);
			Self::deposit_event(Event::StakerRemoved { staker: staker.clone() });
		} else {
			SubStakes::<T>::insert(staker, subs);
			Stakers::<T>::insert(staker, info);
		}
		Ok(())
	}

	/// Takes up to `amount` of `staker`'s stake: the locked sub-stakes with the shortest
	/// remaining lock are cut first, then unlocked sub-stakes, then unlocked tokens (all still
	/// held: stake that may answer for an offence cannot be withdrawn), never more than is
	/// held. `reporter_share` of what was taken goes to the `reporters` in equal parts (a part
	/// a reporter's account cannot take is burned); the rest is burned. Only the slashing
	/// pallet should call this (through [`StakeSlasher`]).
	pub fn slash(
		staker: &T::AccountId,
		amount: BalanceOf<T>,
		reporters: &[T::AccountId],
		reporter_share: Perbill,
	) -> SlashOutcome<BalanceOf<T>> {
		let nothing = SlashOutcome::default();
		let Some(mut info) = Self::catch_up(staker) else { return nothing };
		if amount.is_zero() {
			return nothing;
		}
		let mut subs = SubStakes::<T>::get(staker);
		// Locked sub-stakes by remaining lock, then the unlocked ones (remaining 0 sorts last).
		let mut order: alloc::vec::Vec<usize> = (0..subs.len()).collect();
		order.sort_by_key(|i| match subs[*i].remaining_periods {
			0 => u32::MAX,
			remaining => remaining,
		});
		let mut left = amount;
		for i in order {
			if left.is_zero() {
				break;
			}
			let take = left.min(subs[i].value);
			subs[i].value -= take;
			left -= take;
		}
		let from_loose = left.min(info.unlocked);
		info.unlocked -= from_loose;
		left -= from_loose;
		let taken = amount - left;
		let reason = HoldReason::Staking.into();

		// Pay the reporters out of the hold, then burn the rest, all or nothing: the cut is
		// recorded only if the burn went through, so the hold and the sub-stakes never disagree.
		let paid_and_burned = with_storage_layer(|| -> Result<_, DispatchError> {
			let mut rewarded = BalanceOf::<T>::zero();
			if !reporters.is_empty() {
				let each = (reporter_share * taken) / (reporters.len() as u32).into();
				for reporter in reporters.iter().filter(|_| !each.is_zero()) {
					let paid = T::Currency::transfer_on_hold(
						&reason,
						staker,
						reporter,
						each,
						Precision::Exact,
						Restriction::Free,
						Fortitude::Force,
					);
					// A part the reporter's account cannot take is burned with the rest.
					if paid.is_ok() {
						rewarded = rewarded.saturating_add(each);
					}
				}
			}
			let burned = taken - rewarded;
			let burnt = T::Currency::burn_held(
				&reason,
				staker,
				burned,
				Precision::Exact,
				Fortitude::Force,
			)?;
			ensure!(burnt == burned, DispatchError::Other("the hold burned only in part"));
			Ok((rewarded, burned))
		});
		let (rewarded, burned) = match paid_and_burned {
			Ok(done) => done,
			Err(e) => {
				log::error!(target: "runtime::staking", "slash of {taken:?} failed, nothing taken: {e:?}");
				return nothing;
			},
		};
		Issuance::<T>::mutate(|record| record.burned = record.burned.saturating_add(burned));
		// Emptied sub-stakes carry nothing; drop them to free their slots.
		subs.retain(|sub| !sub.value.is_zero());
		SubStakes::<T>::insert(staker, subs);
		Stakers::<T>::insert(staker, info);
		Self::deposit_event(Event::Slashed {
			staker: staker.clone(),
			requested: amount,
			taken,
			rewarded,
		});
		SlashOutcome { taken, rewarded, burned }
	}

	/// The invariants of the pallet: the hold on each staker's account equals its sub-stakes plus
	/// its unlocked tokens; sub-stakes only exist for known stakers; total issuance is genesis
	/// issuance plus what inflation minted minus what slashing burned, and inflation never went
	/// above the cap; workers and stakers agree both ways; the current and the next period's
	/// locked totals equal the sum of the commitments to them.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		Self::terms_try_state()?;
		let record = Issuance::<T>::get();
		ensure!(
			T::Currency::total_issuance()
				== record.genesis.saturating_add(record.minted).saturating_sub(record.burned),
			"total issuance differs from genesis + minted - burned"
		);
		for (staker, _) in Stakers::<T>::iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::Staking.into(), &staker);
			ensure!(held == Self::staked(&staker), "held funds differ from the recorded stake");
		}
		for (staker, _) in SubStakes::<T>::iter() {
			ensure!(Stakers::<T>::contains_key(&staker), "sub-stakes of an unknown staker");
		}
		ensure!(
			record.genesis.saturating_add(record.minted) <= T::SupplyCap::get().max(record.genesis),
			"inflation minted above the supply cap"
		);
		// Workers and stakers agree both ways.
		for (worker, info) in crate::Workers::<T>::iter() {
			let staker = Stakers::<T>::get(&info.staker).ok_or("a worker of an unknown staker")?;
			ensure!(
				frame_system::Pallet::<T>::sufficients(&worker) > 0,
				"a bonded worker's account may not exist for its duties"
			);
			ensure!(staker.worker == Some(worker), "a worker its staker does not name");
		}
		// The current and next period's locked totals are the sum of their commitments (passed
		// periods' commitments leave the stakers' records as they are rewarded).
		let now = Self::current_period();
		let mut committed = [BalanceOf::<T>::zero(); 2];
		for (_, info) in Stakers::<T>::iter() {
			if let Some(worker) = &info.worker {
				let bonded = crate::Workers::<T>::get(worker).map(|w| w.staker);
				ensure!(bonded.is_some(), "a staker names a worker that is not bonded");
			}
			for commitment in &info.unrewarded {
				if let Some(slot) = commitment
					.period
					.checked_sub(now)
					.and_then(|ahead| committed.get_mut(ahead as usize))
				{
					*slot = slot.saturating_add(commitment.locked);
				}
			}
		}
		for (ahead, total) in committed.into_iter().enumerate() {
			ensure!(
				crate::LockedInPeriod::<T>::get(now.saturating_add(ahead as u32)).locked == total,
				"a period's locked total differs from the sum of its commitments"
			);
		}
		Ok(())
	}
}

impl<T: Config> StakeSlasher<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn slashable(staker: &T::AccountId) -> BalanceOf<T> {
		Self::staked(staker)
	}

	fn slash(
		staker: &T::AccountId,
		amount: BalanceOf<T>,
		reporters: &[T::AccountId],
		reporter_share: Perbill,
	) -> SlashOutcome<BalanceOf<T>> {
		Pallet::<T>::slash(staker, amount, reporters, reporter_share)
	}
}

impl<T: Config> Clock for Pallet<T> {
	fn current_period() -> Period {
		Pallet::<T>::current_period()
	}

	fn current_round() -> Round {
		Pallet::<T>::current_round()
	}
}

impl<T: Config> StakeOf<T::AccountId> for Pallet<T> {
	/// As of the current period: with wind-down on, the periods passed since the staker was last
	/// touched have shortened its locks already, whether or not storage shows it yet.
	fn locked_stake(staker: &T::AccountId) -> u128 {
		let Some(info) = Stakers::<T>::get(staker) else { return 0 };
		let passed = if info.wind_down {
			Self::current_period().saturating_sub(info.last_processed_period)
		} else {
			0
		};
		SubStakes::<T>::get(staker)
			.iter()
			.filter(|sub| sub.remaining_periods > passed)
			.fold(0u128, |acc, sub| acc.saturating_add(sub.value.saturated_into()))
	}
}

impl<T: Config> UrsulaRegistry<T::AccountId> for Pallet<T> {
	fn stage() -> Stage {
		Pallet::<T>::stage()
	}

	fn committed_to(worker: &T::AccountId, period: Period) -> bool {
		Pallet::<T>::committed_to(worker, period)
	}

	/// The staker a worker serves, or served within `WorkerAccountabilityPeriods`.
	fn staker_of(worker: &T::AccountId) -> Option<T::AccountId> {
		crate::Workers::<T>::get(worker)
			.map(|info| info.staker)
			.or_else(|| crate::FormerWorkers::<T>::get(worker).map(|(staker, _)| staker))
	}

	fn keys(worker: &T::AccountId) -> Option<RegisteredKeys> {
		crate::Workers::<T>::get(worker).filter(|info| info.registered).map(|info| RegisteredKeys {
			umbral_key: info.umbral_key,
			signing_key: info.signing_key,
		})
	}

	/// The terms in force now of the staker `worker` serves.
	fn terms(worker: &T::AccountId) -> Option<Terms<u128>> {
		let info = crate::Workers::<T>::get(worker)?;
		let terms = Pallet::<T>::terms_of(&info.staker, Pallet::<T>::current_period());
		Some(Terms { min_fee_rate: terms.min_fee_rate.saturated_into(), capacity: terms.capacity })
	}
}
